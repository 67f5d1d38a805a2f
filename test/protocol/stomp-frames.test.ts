/**
 * STOMP frames end to end over TCP: header escaping per version (STOMP 1.2 "Value Encoding"),
 * bodies with and without content-length (STOMP 1.2 "Body"), frame boundaries at any split,
 * repeated headers, and RECEIPTs for every client frame that may ask for one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { closeAfter, RawStomp } from '../helpers/stomp-client.js';

let tb: TestBroker;
before(async () => {
  tb = await startTestBroker();
});
after(() => tb.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('stomp: header values with colon, LF, backslash and CR from a 1.2 producer reach 1.0, 1.1 and 1.2 consumers', async (t) => {
  const dest = '/topic/escape.values';
  const value = 'a:b\nc\\d\re';
  const v10 = closeAfter(t, await RawStomp.connect(tb.port, {}, null));
  const v11 = closeAfter(t, await RawStomp.connect(tb.port, {}, '1.1'));
  const v12 = closeAfter(t, await RawStomp.connect(tb.port, {}, '1.2'));
  for (const c of [v10, v11, v12]) await c.request('SUBSCRIBE', { id: 's', destination: dest });
  const producer = closeAfter(t, await RawStomp.connect(tb.port, {}, '1.2'));
  await producer.request('SEND', { destination: dest, 'x-weird': value, 'key:with:colons': 'v' }, 'body');

  const m12 = await v12.message();
  assert.equal(m12.headers.get('x-weird'), value);
  assert.equal(m12.headers.get('key:with:colons'), 'v');
  assert.ok(v12.bytes().includes('x-weird:a\\cb\\nc\\\\d\\re\n'), '1.2 escapes : LF \\ and CR on the wire');

  const m11 = await v11.message();
  assert.equal(m11.headers.get('x-weird'), value);
  assert.equal(m11.headers.get('key:with:colons'), 'v');
  // 1.1 has no \r escape: a CR inside a value goes out raw.
  assert.ok(v11.bytes().includes('x-weird:a\\cb\\nc\\\\d\re\n'), '1.1 escapes : LF \\ only');

  const m10 = await v10.message();
  // 1.0 has no escaping: ':' and '\' go out raw; an EOL cannot, so it becomes a space rather
  // than letting a header value start a new header line.
  assert.equal(m10.headers.get('x-weird'), 'a:b c\\d e');
  assert.ok(v10.bytes().includes('x-weird:a:b c\\d e\n'));
  for (const m of [m10, m11, m12]) assert.equal(m.body.toString(), 'body');
});

test('stomp: a 1.0 producer header with colon and backslash arrives unchanged at a 1.2 consumer', async (t) => {
  const dest = '/queue/escape.from10';
  const consumer = closeAfter(t, await RawStomp.connect(tb.port, {}, '1.2'));
  await consumer.request('SUBSCRIBE', { id: 's', destination: dest });
  const producer = closeAfter(t, await RawStomp.connect(tb.port, {}, null));
  assert.equal(producer.version, '1.0');
  // Written raw: in 1.0 "\c" is two plain characters, not an escape.
  producer.raw(`SEND\ndestination:${dest}\nreceipt:r1\npath:C:\\dir\\c\n\nx\0`);
  await producer.next((f) => f.command === 'RECEIPT');
  const m = await consumer.message();
  assert.equal(m.headers.get('path'), 'C:\\dir\\c');
});

test('stomp: 1.1 consumers never get the 1.2-only CR escape', async (t) => {
  const dest = '/queue/escape.v11.only';
  const c = closeAfter(t, await RawStomp.connect(tb.port, {}, '1.1'));
  await c.request('SUBSCRIBE', { id: 's', destination: dest });
  await c.request('SEND', { destination: dest, h: 'x\\y:z' }, 'b');
  const m = await c.message();
  assert.equal(m.headers.get('h'), 'x\\y:z');
  assert.equal(c.bytes().includes('\\r'), false);
});

test('stomp: repeated header entries: the first one wins', async (t) => {
  const dest = '/queue/repeated.headers';
  const c = closeAfter(t, await RawStomp.connect(tb.port));
  await c.request('SUBSCRIBE', { id: 's', destination: dest });
  c.raw(`SEND\ndestination:${dest}\nfoo:first\nfoo:second\n\nx\0`);
  const m = await c.message();
  assert.equal(m.headers.get('foo'), 'first');
});

test('stomp: content-length bodies containing NUL octets are delivered intact', async (t) => {
  const dest = '/queue/body.nul';
  const c = closeAfter(t, await RawStomp.connect(tb.port));
  await c.request('SUBSCRIBE', { id: 's', destination: dest });
  const small = Buffer.from([0, 1, 0, 0x61, 0x62, 0, 0xff, 0]);
  // Above the encoder's zero-copy threshold, so the gathered-write path is covered too.
  const big = randomBytes(200 * 1024);
  big[0] = 0;
  big[big.length - 1] = 0;
  for (const body of [small, big, Buffer.alloc(0)]) {
    await c.request('SEND', { destination: dest, 'content-length': String(body.length) }, body);
    const m = await c.message();
    assert.equal(m.headers.get('content-length'), String(body.length));
    assert.ok(m.body.equals(body), `body of ${body.length} octets intact`);
  }
});

test('stomp: NUL-terminated bodies without content-length are delivered intact', async (t) => {
  const dest = '/queue/body.nul-terminated';
  const c = closeAfter(t, await RawStomp.connect(tb.port));
  await c.request('SUBSCRIBE', { id: 's', destination: dest });
  for (const text of ['hello world', '', 'ünïcödé ✓ line1\nline2\r\n', 'x'.repeat(70_000)]) {
    c.raw(Buffer.concat([Buffer.from(`SEND\ndestination:${dest}\n\n`), Buffer.from(text, 'utf8'), Buffer.from([0])]));
    const m = await c.message();
    assert.equal(m.body.toString('utf8'), text);
    // The broker always says how long the body is, so consumers need not scan for NUL.
    assert.equal(m.headers.get('content-length'), String(Buffer.byteLength(text)));
  }
});

test('stomp: frames split at every few octets and several frames in one write decode the same', async (t) => {
  const dest = '/queue/frame.splits';
  const c = closeAfter(t, await RawStomp.connect(tb.port));
  await c.request('SUBSCRIBE', { id: 's', destination: dest });
  const frame = Buffer.from(`SEND\r\ndestination:${dest}\r\ncontent-length:5\r\nk:v\r\n\r\na\0b\0c\0\n\n`);
  for (let i = 0; i < frame.length; i += 7) {
    c.raw(frame.subarray(i, i + 7));
    await sleep(2);
  }
  const m = await c.message();
  assert.ok(m.body.equals(Buffer.from('a\0b\0c')));
  assert.equal(m.headers.get('k'), 'v');
  // Three frames (with heart-beat EOLs between them) in one write.
  c.raw(`SEND\ndestination:${dest}\n\n1\0\nSEND\ndestination:${dest}\n\n2\0\r\n\nSEND\ndestination:${dest}\n\n3\0`);
  const bodies = [];
  for (let i = 0; i < 3; i++) bodies.push((await c.message()).body.toString());
  assert.deepEqual(bodies, ['1', '2', '3']);
});

/** Sends `command` with a receipt and checks the RECEIPT names it. */
async function expectReceipt(c: RawStomp, command: string, headers: Record<string, string>): Promise<void> {
  const id = `rcpt-${command}-${Math.random().toString(36).slice(2)}`;
  c.send(command, { ...headers, receipt: id });
  const f = await c.next((x) => x.command === 'RECEIPT' || x.command === 'ERROR');
  assert.equal(f.command, 'RECEIPT', `${command}: ${f.headers.get('message') ?? ''}`);
  assert.equal(f.headers.get('receipt-id'), id, command);
}

for (const version of ['1.0', '1.1', '1.2'] as const) {
  test(`stomp: every client frame that may carry a receipt gets a RECEIPT (${version})`, async (t) => {
    const dest = `/queue/receipts.${version}`;
    const c = closeAfter(t, await RawStomp.connect(tb.port, {}, version === '1.0' ? null : version));
    assert.equal(c.version, version);
    await expectReceipt(c, 'SEND', { destination: dest, persistent: 'true' });
    await expectReceipt(c, 'SEND', { destination: dest });
    await expectReceipt(c, 'SUBSCRIBE', { id: 'sub', destination: dest, ack: 'client-individual' });
    const ackHeaders = (m: { headers: Map<string, string> }): Record<string, string> =>
      version === '1.2'
        ? { id: m.headers.get('ack') ?? '' }
        : { 'message-id': m.headers.get('message-id') ?? '', ...(version === '1.1' ? { subscription: 'sub' } : {}) };
    const m1 = await c.message();
    const m2 = await c.message();
    await expectReceipt(c, 'ACK', ackHeaders(m1));
    if (version !== '1.0') {
      await expectReceipt(c, 'NACK', ackHeaders(m2));
      const again = await c.message();
      assert.equal(again.headers.get('redelivered'), 'true');
      await expectReceipt(c, 'ACK', ackHeaders(again));
    } else {
      await expectReceipt(c, 'ACK', ackHeaders(m2));
    }
    await expectReceipt(c, 'BEGIN', { transaction: 'tx1' });
    await expectReceipt(c, 'SEND', { destination: dest, transaction: 'tx1' });
    await expectReceipt(c, 'COMMIT', { transaction: 'tx1' });
    const m3 = await c.message();
    await expectReceipt(c, 'BEGIN', { transaction: 'tx2' });
    await expectReceipt(c, 'ACK', { ...ackHeaders(m3), transaction: 'tx2' });
    await expectReceipt(c, 'ABORT', { transaction: 'tx2' });
    await expectReceipt(c, 'UNSUBSCRIBE', { id: 'sub' });
    await expectReceipt(c, 'DISCONNECT', {});
    await c.waitClosed(3000);
    assert.ok(!c.frames.some((f) => f.command === 'ERROR'), 'no ERROR on the way');
  });
}

test('stomp: a RECEIPT for a persistent SEND means the message survives a broker restart', async (t) => {
  const first = await startTestBroker();
  const running: TestBroker[] = [first];
  t.after(async () => {
    for (const b of running) await b.stop({ keepData: true });
    rmSync(first.dataDir, { recursive: true, force: true });
  });
  const p = closeAfter(t, await RawStomp.connect(first.port));
  await p.request('SEND', { destination: '/queue/receipt.durable', persistent: 'true' }, 'kept');
  await first.stop({ keepData: true });
  const restarted = await startTestBroker({}, first.dataDir);
  running.push(restarted);
  const c = closeAfter(t, await RawStomp.connect(restarted.port));
  c.send('SUBSCRIBE', { id: 's', destination: '/queue/receipt.durable' });
  const m = await c.message();
  assert.equal(m.body.toString(), 'kept');
  assert.equal(m.headers.get('persistent'), 'true');
});

test('stomp: 1.0 SUBSCRIBE without id and UNSUBSCRIBE by destination', async (t) => {
  const dest = '/queue/v10.noid';
  const c = closeAfter(t, await RawStomp.connect(tb.port, {}, null));
  assert.equal(c.version, '1.0');
  await c.request('SUBSCRIBE', { destination: dest });
  await c.request('SEND', { destination: dest }, 'one');
  const m = await c.message();
  assert.equal(m.body.toString(), 'one');
  assert.equal(m.headers.get('destination'), dest);
  await c.request('UNSUBSCRIBE', { destination: dest });
  await c.request('SEND', { destination: dest }, 'two');
  await c.expectNoMessage(150);
  // Still queued for the next subscriber.
  const other = closeAfter(t, await RawStomp.connect(tb.port));
  await other.request('SUBSCRIBE', { id: 's', destination: dest });
  assert.equal((await other.message()).body.toString(), 'two');
});
