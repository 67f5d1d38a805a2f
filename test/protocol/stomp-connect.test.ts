/**
 * STOMP head over real sockets: CONNECT / STOMP, version negotiation (STOMP 1.2 "Protocol
 * Negotiation"), the CONNECTED frame, DISCONNECT and the connect timeout.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { closeAfter, RawStomp } from '../helpers/stomp-client.js';

let tb: TestBroker;
before(async () => {
  tb = await startTestBroker({ stomp: { heartbeatMinimum: 4000 } });
});
after(() => tb.stop());

/** Sends a CONNECT-like frame on a fresh socket and returns the first frame back. */
async function handshake(t: { after(fn: () => void): void }, command: string, headers: Record<string, string>) {
  const c = closeAfter(t, await RawStomp.open(tb.port));
  c.send(command, headers);
  const f = await c.next();
  return { c, f };
}

const NEGOTIATION: ReadonlyArray<{ accept: string | undefined; expected: string }> = [
  { accept: undefined, expected: '1.0' },
  { accept: '1.0', expected: '1.0' },
  { accept: '1.1', expected: '1.1' },
  { accept: '1.2', expected: '1.2' },
  { accept: '1.0,1.1', expected: '1.1' },
  { accept: '1.1,1.0', expected: '1.1' },
  { accept: '1.0,1.1,1.2', expected: '1.2' },
  { accept: '1.2,2.0,3.7', expected: '1.2' },
  { accept: '0.9,1.1', expected: '1.1' },
];

for (const { accept, expected } of NEGOTIATION) {
  test(`stomp: accept-version ${accept ?? '(absent)'} negotiates ${expected}`, async (t) => {
    const headers: Record<string, string> = { host: 'localhost' };
    if (accept !== undefined) headers['accept-version'] = accept;
    const { f } = await handshake(t, 'CONNECT', headers);
    assert.equal(f.command, 'CONNECTED');
    assert.equal(f.headers.get('version'), expected);
  });
}

test('stomp: CONNECTED carries version, session, server and heart-beat headers', async (t) => {
  const { c, f } = await handshake(t, 'CONNECT', { 'accept-version': '1.2', host: 'localhost', 'heart-beat': '5000,1000' });
  assert.equal(f.command, 'CONNECTED');
  assert.equal(f.headers.get('version'), '1.2');
  assert.match(f.headers.get('session') ?? '', /\S/);
  assert.match(f.headers.get('server') ?? '', /^FerryMQ\/\d+\.\d+\.\d+/);
  // The broker states its own offer (STOMP 1.2 "Heart-beating": cx,cy of the server).
  // The client's rates, each raised to the 4000 ms floor: we send every 4000, expect every 5000.
  assert.equal(f.headers.get('heart-beat'), '4000,5000');
  // And the connection is usable.
  await c.request('SUBSCRIBE', { id: 's', destination: '/queue/connect.usable' });
});

test('stomp: every connection gets its own session id', async (t) => {
  const a = closeAfter(t, await RawStomp.connect(tb.port));
  const b = closeAfter(t, await RawStomp.connect(tb.port));
  assert.notEqual(a.connectedFrame?.headers.get('session'), b.connectedFrame?.headers.get('session'));
});

test('stomp: the STOMP command connects like CONNECT (1.1 and 1.2)', async (t) => {
  for (const v of ['1.1', '1.2']) {
    const { c, f } = await handshake(t, 'STOMP', { 'accept-version': v, host: 'localhost' });
    assert.equal(f.command, 'CONNECTED');
    assert.equal(f.headers.get('version'), v);
    await c.request('SEND', { destination: '/queue/stomp.cmd' }, 'x');
  }
});

test('stomp: no common version -> ERROR with a version header, then the connection closes', async (t) => {
  const { c, f } = await handshake(t, 'CONNECT', { 'accept-version': '2.0,3.0', host: 'localhost' });
  assert.equal(f.command, 'ERROR');
  assert.deepEqual((f.headers.get('version') ?? '').split(',').sort(), ['1.0', '1.1', '1.2']);
  assert.ok(f.headers.get('message'), 'ERROR has a message header');
  await c.waitClosed(3000);
});

test('stomp: a second CONNECT on a connected session is an error', async (t) => {
  const c = closeAfter(t, await RawStomp.connect(tb.port));
  c.send('CONNECT', { 'accept-version': '1.2', host: 'localhost', receipt: 'again' });
  const err = await c.errorThenClose();
  assert.equal(err.headers.get('receipt-id'), 'again');
});

test('stomp: DISCONNECT with receipt -> RECEIPT, then the server closes', async (t) => {
  for (const v of ['1.0', '1.1', '1.2']) {
    const c = closeAfter(t, await RawStomp.connect(tb.port, {}, v));
    c.send('DISCONNECT', { receipt: `bye-${v}` });
    const r = await c.next();
    assert.equal(r.command, 'RECEIPT');
    assert.equal(r.headers.get('receipt-id'), `bye-${v}`);
    await c.waitClosed(3000);
  }
});

test('stomp: frames sent before DISCONNECT are not lost (persistent, no receipts)', async (t) => {
  const dest = '/queue/disconnect.flush';
  const p = closeAfter(t, await RawStomp.connect(tb.port));
  const count = 50;
  for (let i = 0; i < count; i++) p.send('SEND', { destination: dest, persistent: 'true' }, `m${i}`);
  p.send('DISCONNECT', { receipt: 'done' });
  await p.next((f) => f.command === 'RECEIPT');
  await p.waitClosed(3000);

  const c = closeAfter(t, await RawStomp.connect(tb.port));
  c.send('SUBSCRIBE', { id: 's', destination: dest });
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) bodies.push((await c.message()).body.toString());
  assert.deepEqual(bodies, Array.from({ length: count }, (_, i) => `m${i}`));
});

test('stomp: the DISCONNECT RECEIPT waits for the receipts of earlier durable SENDs and COMMITs', async (t) => {
  // fsync on, so durable receipts really lag behind the frames that asked for them.
  const durable = await startTestBroker({ store: { journal: { sync: true } } });
  t.after(() => durable.stop());
  const c = closeAfter(t, await RawStomp.connect(durable.port));
  const dest = '/queue/disconnect.receipts';
  const expected: string[] = [];
  for (let i = 0; i < 20; i++) {
    c.send('SEND', { destination: dest, persistent: 'true', receipt: `s${i}` }, `m${i}`);
    expected.push(`s${i}`);
  }
  c.send('BEGIN', { transaction: 'tx' });
  c.send('SEND', { destination: dest, persistent: 'true', transaction: 'tx' }, 'in-tx');
  c.send('COMMIT', { transaction: 'tx', receipt: 'commit' });
  expected.push('commit');
  c.send('DISCONNECT', { receipt: 'bye' });
  // Ignored: nothing after DISCONNECT is processed.
  c.send('SEND', { destination: dest, persistent: 'true', receipt: 'late' }, 'late');
  await c.waitClosed(5000);
  const receipts = c.frames.map((f) => `${f.command}:${f.headers.get('receipt-id')}`);
  assert.equal(receipts.at(-1), 'RECEIPT:bye', 'the DISCONNECT receipt comes last');
  assert.deepEqual(receipts.slice(0, -1).sort(), expected.map((r) => `RECEIPT:${r}`).sort());

  const reader = closeAfter(t, await RawStomp.connect(durable.port));
  await reader.request('SEND', { destination: dest, persistent: 'true' }, 'marker');
  reader.send('SUBSCRIBE', { id: 's', destination: dest });
  const bodies: string[] = [];
  for (let m = await reader.message(); m.body.toString() !== 'marker'; m = await reader.message()) bodies.push(m.body.toString());
  assert.deepEqual(bodies, [...Array.from({ length: 20 }, (_, i) => `m${i}`), 'in-tx']);
});

test('stomp: connect timeout closes a socket that never sends CONNECT', async (t) => {
  const quick = await startTestBroker({ stomp: { connectTimeout: 200 } });
  t.after(() => quick.stop());
  const silent = closeAfter(t, await RawStomp.open(quick.port));
  const started = Date.now();
  const connected = closeAfter(t, await RawStomp.connect(quick.port));
  const err = await silent.errorThenClose(3000);
  assert.match(err.headers.get('message') ?? '', /CONNECT/);
  assert.ok(Date.now() - started >= 150, 'not closed before the timeout');
  // A connection that did CONNECT in time is not affected by the timer.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(connected.closed, false);
  await connected.request('SEND', { destination: '/queue/connect.timeout' }, 'still here');
});

test('stomp: a half-sent CONNECT does not escape the connect timeout', async (t) => {
  const quick = await startTestBroker({ stomp: { connectTimeout: 200 } });
  t.after(() => quick.stop());
  const c = closeAfter(t, await RawStomp.open(quick.port));
  c.raw('CONNECT\naccept-version:1.2\n');
  await c.errorThenClose(3000);
});
