import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StompDecoder, type StompDecodeError } from '../../src/protocols/stomp/codec/decoder.js';
import type { StompFrame, StompLimits, StompVersion } from '../../src/protocols/stomp/codec/frame.js';

const LIMITS: StompLimits = { maxFrameSize: 1024 * 1024, maxHeaders: 100, maxHeaderLength: 4096 };

interface PlainFrame {
  command: string;
  headers: [string, string][];
  body: string;
}

interface DecodeResult {
  frames: PlainFrame[];
  error: StompDecodeError | undefined;
}

interface DecodeOptions {
  /** Version set before the first byte. */
  version?: StompVersion;
  /** Version set (as a head would) once a CONNECT, STOMP or CONNECTED frame is seen. */
  negotiateTo?: StompVersion;
  limits?: StompLimits;
}

function plain(frame: StompFrame): PlainFrame {
  return { command: frame.command, headers: [...frame.headers], body: frame.body.toString('latin1') };
}

function decodeChunks(chunks: Buffer[], options: DecodeOptions = {}): DecodeResult {
  const decoder = new StompDecoder(options.limits ?? LIMITS);
  if (options.version !== undefined) decoder.setVersion(options.version);
  const frames: PlainFrame[] = [];
  const onFrame = (frame: StompFrame): void => {
    frames.push(plain(frame));
    const negotiated = options.negotiateTo;
    if (negotiated !== undefined && ['CONNECT', 'STOMP', 'CONNECTED'].includes(frame.command)) decoder.setVersion(negotiated);
  };
  let error: StompDecodeError | undefined;
  for (const chunk of chunks) {
    error = decoder.push(chunk, onFrame);
    if (error !== undefined) break;
  }
  return { frames, error };
}

function bytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

function frame(command: string, headers: [string, string][] = [], body = ''): PlainFrame {
  return { command, headers, body };
}

interface Fixture {
  name: string;
  input: Buffer;
  expected: PlainFrame[];
  options?: DecodeOptions;
}

const ALL_COMMANDS = [
  'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'BEGIN', 'COMMIT', 'ABORT', 'ACK', 'NACK', 'DISCONNECT', 'CONNECT', 'STOMP',
  'CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR',
];

const FIXTURES: Fixture[] = [
  ...ALL_COMMANDS.map((command) => ({
    name: `command ${command}`,
    input: bytes(`${command}\nid:7\nreceipt:r-1\n\n\0`),
    expected: [frame(command, [['id', '7'], ['receipt', 'r-1']])],
  })),
  {
    name: 'content-length body containing NUL',
    input: bytes('SEND\ndestination:/queue/a\ncontent-length:5\n\na\0b\0c\0'),
    expected: [frame('SEND', [['destination', '/queue/a'], ['content-length', '5']], 'a\0b\0c')],
  },
  {
    name: 'content-length 0',
    input: bytes('SEND\ncontent-length:0\n\n\0'),
    expected: [frame('SEND', [['content-length', '0']])],
  },
  {
    name: 'CR LF line endings',
    input: bytes('SEND\r\ndestination:/queue/a\r\nfoo:bar\r\n\r\nhello\0'),
    expected: [frame('SEND', [['destination', '/queue/a'], ['foo', 'bar']], 'hello')],
  },
  {
    name: 'escaped headers in 1.2',
    input: bytes('MESSAGE\na\\cb:1\\n2\\c3\\\\4\\r5\n\n\0'),
    expected: [frame('MESSAGE', [['a:b', '1\n2:3\\4\r5']])],
    options: { version: '1.2' },
  },
  {
    name: 'escaped headers in 1.1',
    input: bytes('MESSAGE\nk:1\\n2\\c3\\\\4\n\n\0'),
    expected: [frame('MESSAGE', [['k', '1\n2:3\\4']])],
    options: { version: '1.1' },
  },
  {
    name: 'no unescaping in 1.0 (backslashes and spaces kept)',
    input: bytes('SEND\nk: a\\nb\\t \n\n\0'),
    expected: [frame('SEND', [['k', ' a\\nb\\t ']])],
    options: { version: '1.0' },
  },
  {
    name: 'no unescaping before negotiation, then 1.2 escaping',
    input: bytes('CONNECT\npasscode:p\\w:x\n\n\0SEND\nk:a\\cb\n\n\0'),
    expected: [frame('CONNECT', [['passcode', 'p\\w:x']]), frame('SEND', [['k', 'a:b']])],
    options: { negotiateTo: '1.2' },
  },
  {
    name: 'CONNECTED headers never unescaped even in 1.2',
    input: bytes('CONNECTED\nserver:a\\b\n\n\0'),
    expected: [frame('CONNECTED', [['server', 'a\\b']])],
    options: { version: '1.2' },
  },
  {
    name: 'repeated header: first wins',
    input: bytes('MESSAGE\nfoo:1\nfoo:2\nbar:3\n\n\0'),
    expected: [frame('MESSAGE', [['foo', '1'], ['bar', '3']])],
  },
  {
    name: 'repeated content-length: first wins',
    input: bytes('SEND\ncontent-length:2\ncontent-length:x\n\n\0\0\0'),
    expected: [frame('SEND', [['content-length', '2']], '\0\0')],
  },
  {
    name: 'empty body and no headers',
    input: bytes('DISCONNECT\n\n\0'),
    expected: [frame('DISCONNECT')],
  },
  {
    name: 'empty header value and colon inside a value',
    input: bytes('SEND\nempty:\nurl:tcp://h:61613\n\n\0'),
    expected: [frame('SEND', [['empty', ''], ['url', 'tcp://h:61613']])],
  },
  {
    name: 'UTF-8 header names and values',
    input: bytes('SEND\ndestination:/queue/ü€😀\nnäme:wért\n\n\0'),
    expected: [frame('SEND', [['destination', '/queue/ü€😀'], ['näme', 'wért']])],
  },
  {
    name: 'heart-beat EOLs before, between and after frames',
    input: bytes('\n\r\n\nSEND\n\nA\0\n\r\n\n\nSEND\n\nB\0\n'),
    expected: [frame('SEND', [], 'A'), frame('SEND', [], 'B')],
  },
  {
    name: 'several frames in one buffer',
    input: bytes('SUBSCRIBE\nid:1\ndestination:/queue/a\n\n\0SEND\ncontent-length:3\n\nx\0y\0ACK\nid:9\n\n\0'),
    expected: [
      frame('SUBSCRIBE', [['id', '1'], ['destination', '/queue/a']]),
      frame('SEND', [['content-length', '3']], 'x\0y'),
      frame('ACK', [['id', '9']]),
    ],
  },
  {
    name: 'binary body bytes',
    input: Buffer.concat([bytes('SEND\ncontent-length:4\n\n'), Buffer.from([0xff, 0x00, 0x0a, 0x0d]), Buffer.from([0])]),
    expected: [frame('SEND', [['content-length', '4']], '\xff\0\n\r')],
  },
];

/** Feed whole, at every 2-chunk split and byte by byte; every way must give the same result. */
function assertSameAtEverySplit(input: Buffer, options: DecodeOptions | undefined, label: string): DecodeResult {
  const whole = decodeChunks([input], options);
  for (let cut = 0; cut <= input.length; cut++) {
    const split = decodeChunks([input.subarray(0, cut), input.subarray(cut)], options);
    assert.deepEqual(split.frames, whole.frames, `${label}: frames differ when split at ${cut}`);
    assert.equal(split.error?.kind, whole.error?.kind, `${label}: error differs when split at ${cut}`);
  }
  const bytewise = decodeChunks([...input].map((b) => Buffer.from([b])), options);
  assert.deepEqual(bytewise.frames, whole.frames, `${label}: frames differ byte by byte`);
  assert.equal(bytewise.error?.kind, whole.error?.kind, `${label}: error differs byte by byte`);
  return whole;
}

test('codec: stomp decoder decodes every fixture to the expected frames', () => {
  for (const fixture of FIXTURES) {
    const result = decodeChunks([fixture.input], fixture.options);
    assert.equal(result.error, undefined, `${fixture.name}: ${result.error?.message}`);
    assert.deepEqual(result.frames, fixture.expected, fixture.name);
  }
});

test('codec: stomp decoder yields same frames at every byte split', () => {
  for (const fixture of FIXTURES) {
    const whole = assertSameAtEverySplit(fixture.input, fixture.options, fixture.name);
    assert.deepEqual(whole.frames, fixture.expected, fixture.name);
  }
});

test('codec: stomp decoder returns the body zero-copy when the frame is in one chunk', () => {
  const input = bytes('SEND\ncontent-length:5\n\nhello\0SEND\n\nworld\0');
  const bodies: Buffer[] = [];
  assert.equal(new StompDecoder(LIMITS).push(input, (f) => bodies.push(f.body)), undefined);
  assert.equal(bodies.length, 2);
  for (const body of bodies) assert.equal(body.buffer, input.buffer, 'body shares the chunk memory');
});

interface ErrorFixture {
  name: string;
  input: Buffer;
  kind: StompDecodeError['kind'];
  options?: DecodeOptions;
  framesBefore?: number;
}

const SMALL: StompLimits = { maxFrameSize: 200, maxHeaders: 3, maxHeaderLength: 40 };

const ERROR_FIXTURES: ErrorFixture[] = [
  { name: 'unknown command', input: bytes('FOO\n\n\0'), kind: 'malformed' },
  { name: 'lower-case command', input: bytes('send\n\n\0'), kind: 'malformed' },
  { name: 'unknown command after a good frame', input: bytes('SEND\n\n\0BAR\n\n\0'), kind: 'malformed', framesBefore: 1 },
  { name: 'header without colon', input: bytes('SEND\nnocolon\n\n\0'), kind: 'malformed' },
  { name: 'header with empty name', input: bytes('SEND\n:v\n\n\0'), kind: 'malformed' },
  { name: 'bad escape \\t in 1.2', input: bytes('SEND\nk:a\\tb\n\n\0'), kind: 'malformed', options: { version: '1.2' } },
  { name: 'trailing backslash in 1.2', input: bytes('SEND\nk:a\\\n\n\0'), kind: 'malformed', options: { version: '1.2' } },
  { name: '\\r escape is undefined in 1.1', input: bytes('SEND\nk:a\\rb\n\n\0'), kind: 'malformed', options: { version: '1.1' } },
  { name: 'negative content-length', input: bytes('SEND\ncontent-length:-1\n\n\0'), kind: 'malformed' },
  { name: 'non-numeric content-length', input: bytes('SEND\ncontent-length:12a\n\n\0'), kind: 'malformed' },
  { name: 'empty content-length', input: bytes('SEND\ncontent-length:\n\n\0'), kind: 'malformed' },
  { name: 'no NUL after content-length body', input: bytes('SEND\ncontent-length:2\n\nabc\0'), kind: 'malformed' },
  { name: 'too many headers', input: bytes('SEND\na:1\nb:2\nc:3\nd:4\n\n\0'), kind: 'too-many-headers', options: { limits: SMALL } },
  { name: 'header too long', input: bytes(`SEND\nk:${'x'.repeat(60)}\n\n\0`), kind: 'header-too-long', options: { limits: SMALL } },
  { name: 'frame too large, no content-length', input: bytes(`SEND\n\n${'x'.repeat(300)}\0`), kind: 'frame-too-large', options: { limits: SMALL } },
  { name: 'frame too large, content-length', input: bytes(`SEND\ncontent-length:300\n\n${'x'.repeat(300)}\0`), kind: 'frame-too-large', options: { limits: SMALL } },
];

test('codec: stomp decoder reports each broken stream with the right error kind at every split', () => {
  for (const fixture of ERROR_FIXTURES) {
    const whole = assertSameAtEverySplit(fixture.input, fixture.options, fixture.name);
    assert.equal(whole.error?.kind, fixture.kind, fixture.name);
    assert.equal(whole.frames.length, fixture.framesBefore ?? 0, fixture.name);
  }
});

test('codec: stomp decoder names an unknown command, cut to 40 characters', () => {
  const short = decodeChunks([bytes('HELLO\n\n\0')]);
  assert.match(short.error?.message ?? '', /HELLO/);
  const long = decodeChunks([bytes(`${'Z'.repeat(50)}\n\n\0`)]);
  assert.equal(long.error?.kind, 'malformed');
  assert.ok(long.error?.message.includes('Z'.repeat(40)));
  assert.ok(!long.error?.message.includes('Z'.repeat(41)));
});

test('codec: stomp decoder is dead after an error and returns the same error', () => {
  const decoder = new StompDecoder(LIMITS);
  const frames: StompFrame[] = [];
  const first = decoder.push(bytes('NOPE\n\n\0'), (f) => frames.push(f));
  assert.equal(first?.kind, 'malformed');
  assert.equal(decoder.push(bytes('SEND\n\n\0'), (f) => frames.push(f)), first);
  assert.equal(frames.length, 0);
});

test('codec: stomp decoder fails an endless body as soon as the frame size limit is passed', () => {
  const maxFrameSize = 10 * 1024 * 1024;
  const decoder = new StompDecoder({ ...LIMITS, maxFrameSize });
  const noop = (): void => {};
  assert.equal(decoder.push(bytes('SEND\ndestination:/queue/big\n\n'), noop), undefined);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let pushed = 0;
  let error: StompDecodeError | undefined;
  while (error === undefined && pushed < 1024 * 1024 * 1024) {
    error = decoder.push(chunk, noop);
    pushed += chunk.length;
  }
  assert.equal(error?.kind, 'frame-too-large');
  assert.ok(pushed <= maxFrameSize + chunk.length, `failed only after ${pushed} bytes`);
});

test('codec: stomp decoder fails a too-large content-length before the body arrives', () => {
  const decoder = new StompDecoder({ ...LIMITS, maxFrameSize: 10 * 1024 * 1024 });
  const error = decoder.push(bytes('SEND\ncontent-length:1073741824\n\n'), () => {});
  assert.equal(error?.kind, 'frame-too-large');
});

test('codec: stomp decoder fails a long header line before its EOL arrives', () => {
  const decoder = new StompDecoder({ ...LIMITS, maxHeaderLength: 100 });
  assert.equal(decoder.push(bytes('SEND\nk:'), () => {}), undefined);
  assert.equal(decoder.push(bytes('v'.repeat(50)), () => {}), undefined);
  assert.equal(decoder.push(bytes('v'.repeat(60)), () => {})?.kind, 'header-too-long');
});

test('codec: stomp decoder fails garbage without EOL instead of buffering it', () => {
  const decoder = new StompDecoder(LIMITS);
  const error = decoder.push(Buffer.alloc(1024 * 1024, 0x41), () => {});
  assert.equal(error?.kind, 'malformed');
});

test('codec: stomp decoder lets a header line of exactly the limit pass, with LF or CR LF', () => {
  const limits = { ...LIMITS, maxHeaderLength: 10 };
  for (const eol of ['\n', '\r\n']) {
    const ok = assertSameAtEverySplit(bytes(`SEND${eol}k:12345678${eol}${eol}\0`), { limits }, `exact limit ${JSON.stringify(eol)}`);
    assert.deepEqual(ok.frames, [frame('SEND', [['k', '12345678']])]);
    const over = assertSameAtEverySplit(bytes(`SEND${eol}k:123456789${eol}${eol}\0`), { limits }, `over limit ${JSON.stringify(eol)}`);
    assert.equal(over.error?.kind, 'header-too-long');
  }
});
