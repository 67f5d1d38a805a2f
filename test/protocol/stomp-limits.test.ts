/**
 * STOMP limits over real sockets: frame size, header count and header line length (set through
 * the `stomp` config section and through listener URI `wireFormat.*` options), and the listener's
 * maximumConnections. Breaking a limit gets an ERROR naming it, then only that connection closes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigOverrides } from '../../src/config/load.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { closeAfter, RawStomp } from '../helpers/stomp-client.js';

const FRAME_LIMIT = 2048;
const HEADERS_LIMIT = 6;
const HEADER_LENGTH_LIMIT = 128;

async function brokerFor(t: { after(fn: () => Promise<void>): void }, overrides: ConfigOverrides): Promise<TestBroker> {
  const tb = await startTestBroker(overrides);
  t.after(() => tb.stop());
  return tb;
}

/** Where the limits come from: the config section, or the listener URI. */
const SOURCES: ReadonlyArray<{ name: string; overrides: (l: { frame?: number; headers?: number; headerLength?: number }) => ConfigOverrides }> = [
  {
    name: 'config',
    overrides: (l) => ({
      stomp: {
        ...(l.frame !== undefined ? { maxFrameSize: l.frame } : {}),
        ...(l.headers !== undefined ? { maxHeaders: l.headers } : {}),
        ...(l.headerLength !== undefined ? { maxHeaderLength: l.headerLength } : {}),
      },
    }),
  },
  {
    name: 'listener URI',
    overrides: (l) => {
      const opts = [
        l.frame !== undefined ? `wireFormat.maxFrameSize=${l.frame}` : '',
        l.headers !== undefined ? `wireFormat.maxHeaders=${l.headers}` : '',
        l.headerLength !== undefined ? `wireFormat.maxHeaderLength=${l.headerLength}` : '',
      ].filter((o) => o !== '');
      return { listeners: [{ uri: `stomp://127.0.0.1:0?${opts.join('&')}` }] };
    },
  },
];

let neighbours = 0;

/** A fresh connection breaks the limit with `bad`; a neighbour connection must not notice. */
async function expectLimitError(t: { after(fn: () => void): void }, tb: TestBroker, bad: (c: RawStomp) => void, code: string): Promise<void> {
  const dest = `/queue/limits.neighbour.${++neighbours}`;
  const neighbour = closeAfter(t, await RawStomp.connect(tb.port));
  await neighbour.request('SUBSCRIBE', { id: 's', destination: dest });
  const c = closeAfter(t, await RawStomp.connect(tb.port));
  bad(c);
  const err = await c.errorThenClose(3000);
  assert.ok(err.headers.get('message'), 'ERROR has a message');
  assert.match(err.body.toString(), new RegExp(code));
  assert.equal(neighbour.closed, false);
  await neighbour.request('SEND', { destination: dest }, 'fine');
  assert.equal((await neighbour.message()).body.toString(), 'fine');
}

for (const source of SOURCES) {
  test(`stomp: maxFrameSize from the ${source.name}: frames within pass, larger ones get ERROR and close`, async (t) => {
    const tb = await brokerFor(t, source.overrides({ frame: FRAME_LIMIT }));
    const ok = closeAfter(t, await RawStomp.connect(tb.port));
    await ok.request('SEND', { destination: '/queue/limits.frame' }, 'x'.repeat(FRAME_LIMIT - 200));
    // Without content-length the frame is cut off while the body streams in.
    await expectLimitError(t, tb, (c) => c.send('SEND', { destination: '/queue/limits.frame' }, 'x'.repeat(FRAME_LIMIT + 10)), 'FRAME_TOO_LARGE');
    // With content-length it is refused from the headers alone, before any body octet arrives.
    await expectLimitError(t, tb, (c) => c.raw(`SEND\ndestination:/queue/limits.frame\ncontent-length:${10 * FRAME_LIMIT}\n\n`), 'FRAME_TOO_LARGE');
    // The CONNECT frame itself is subject to the limit.
    const big = closeAfter(t, await RawStomp.open(tb.port));
    big.send('CONNECT', { 'accept-version': '1.2', host: 'localhost', padding: 'p'.repeat(FRAME_LIMIT) });
    await big.errorThenClose(3000);
  });

  test(`stomp: maxHeaders from the ${source.name}: one header too many gets ERROR and close`, async (t) => {
    const tb = await brokerFor(t, source.overrides({ headers: HEADERS_LIMIT }));
    const headers = (n: number): Record<string, string> => {
      const h: Record<string, string> = { destination: '/queue/limits.headers' };
      for (let i = 1; i < n; i++) h[`h${i}`] = String(i);
      return h;
    };
    const ok = closeAfter(t, await RawStomp.connect(tb.port));
    ok.send('SEND', headers(HEADERS_LIMIT));
    ok.send('SEND', { ...headers(HEADERS_LIMIT - 1), receipt: 'r' });
    await ok.next((f) => f.command === 'RECEIPT');
    await expectLimitError(t, tb, (c) => c.send('SEND', headers(HEADERS_LIMIT + 1)), 'TOO_MANY_HEADERS');
  });

  test(`stomp: maxHeaderLength from the ${source.name}: a longer header line gets ERROR and close`, async (t) => {
    const tb = await brokerFor(t, source.overrides({ headerLength: HEADER_LENGTH_LIMIT }));
    const ok = closeAfter(t, await RawStomp.connect(tb.port));
    // "k:" + value is exactly the limit.
    await ok.request('SEND', { destination: '/queue/limits.hlen', k: 'v'.repeat(HEADER_LENGTH_LIMIT - 2) }, 'x');
    await expectLimitError(t, tb, (c) => c.send('SEND', { destination: '/queue/limits.hlen', k: 'v'.repeat(HEADER_LENGTH_LIMIT) }), 'HEADER_TOO_LONG');
    // A header line that never ends is refused once it passes the limit, not buffered forever.
    await expectLimitError(t, tb, (c) => c.raw(`SEND\ndestination:/queue/limits.hlen\nk:${'v'.repeat(4 * HEADER_LENGTH_LIMIT)}`), 'HEADER_TOO_LONG');
  });
}

test('stomp: listener URI limits override the stomp config, per listener', async (t) => {
  const tb = await brokerFor(t, {
    stomp: { maxFrameSize: 64 * 1024 },
    listeners: [{ uri: 'stomp://127.0.0.1:0?wireFormat.maxDataLength=1024' }, { uri: 'stomp://127.0.0.1:0' }],
  });
  const [strict, relaxed] = tb.broker.listeners.map((l) => l.port);
  assert.ok(strict !== undefined && relaxed !== undefined);
  const body = 'y'.repeat(4000);
  const roomy = closeAfter(t, await RawStomp.connect(relaxed));
  await roomy.request('SEND', { destination: '/queue/limits.per-listener' }, body);
  const tight = closeAfter(t, await RawStomp.connect(strict));
  tight.send('SEND', { destination: '/queue/limits.per-listener' }, body);
  const err = await tight.errorThenClose(3000);
  assert.match(err.body.toString(), /FRAME_TOO_LARGE/);
});

test('stomp: maximumConnections=2 refuses the third connection with an ERROR; the first two work', async (t) => {
  const tb = await brokerFor(t, { listeners: [{ uri: 'stomp://127.0.0.1:0?maximumConnections=2' }] });
  const a = closeAfter(t, await RawStomp.connect(tb.port));
  const b = closeAfter(t, await RawStomp.connect(tb.port));
  const third = closeAfter(t, await RawStomp.open(tb.port));
  const err = await third.errorThenClose(3000);
  assert.match(err.headers.get('message') ?? '', /maximumConnections=2/);

  await a.request('SUBSCRIBE', { id: 's', destination: '/queue/limits.maxconn' });
  await b.request('SEND', { destination: '/queue/limits.maxconn' }, 'hello');
  assert.equal((await a.message()).body.toString(), 'hello');

  // A slot freed by a closing connection can be used again.
  b.send('DISCONNECT', { receipt: 'bye' });
  await b.next((f) => f.command === 'RECEIPT');
  await b.waitClosed(3000);
  let c: RawStomp | undefined;
  for (let attempt = 0; attempt < 50 && !c; attempt++) {
    // The server sees the close a moment after the client does.
    c = await RawStomp.connect(tb.port).catch(() => undefined);
    if (!c) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(c, 'a new connection is accepted once one has closed');
  closeAfter(t, c);
  await c.request('SEND', { destination: '/queue/limits.maxconn' }, 'again');
  assert.equal((await a.message()).body.toString(), 'again');
});
