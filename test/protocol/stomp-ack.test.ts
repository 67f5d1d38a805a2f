/**
 * STOMP acknowledgement over real sockets, per version: 1.0 ACK by message-id, 1.1 by
 * message-id + subscription, 1.2 by the MESSAGE frame's `ack` header (STOMP 1.2 "ACK"); `client`
 * acks cumulatively, `client-individual` one message; NACK (1.1+) redelivers. What was acked is
 * checked from the outside: after the consumer goes away, only unacked messages come back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { closeAfter, RawStomp } from '../helpers/stomp-client.js';

let tb: TestBroker;
before(async () => {
  tb = await startTestBroker();
});
after(() => tb.stop());

type Version = '1.0' | '1.1' | '1.2';
let queueSeq = 0;

async function client(t: { after(fn: () => void): void }, version: Version = '1.2'): Promise<RawStomp> {
  const c = closeAfter(t, await RawStomp.connect(tb.port, {}, version === '1.0' ? null : version));
  assert.equal(c.version, version);
  return c;
}

/** A fresh queue holding `bodies` (persistent, all accepted). */
async function filledQueue(t: { after(fn: () => void): void }, bodies: readonly string[]): Promise<string> {
  const dest = `/queue/ack.${++queueSeq}`;
  const p = await client(t);
  for (const b of bodies) await p.request('SEND', { destination: dest, persistent: 'true' }, b);
  p.close();
  return dest;
}

/** The ACK/NACK headers naming message `m` in `version`. */
function ackHeaders(version: Version, m: StompFrame, subscription = 's'): Record<string, string> {
  if (version === '1.2') return { id: m.headers.get('ack') ?? '' };
  const h: Record<string, string> = { 'message-id': m.headers.get('message-id') ?? '' };
  if (version === '1.1') h['subscription'] = subscription;
  return h;
}

/**
 * Closes `consumer` (unacked deliveries go back), then reads the queue on a new connection up to
 * a marker sent after the close: exactly the messages that were never acked, sorted.
 */
async function leftInQueue(t: { after(fn: () => void): void }, consumer: RawStomp, dest: string): Promise<string[]> {
  consumer.send('DISCONNECT', { receipt: 'bye' });
  await consumer.waitClosed(3000);
  const reader = await client(t);
  await reader.request('SEND', { destination: dest, persistent: 'true' }, 'marker');
  await reader.request('SUBSCRIBE', { id: 'r', destination: dest });
  const left: string[] = [];
  for (;;) {
    const m = await reader.message();
    const body = m.body.toString();
    if (body === 'marker') return left.sort();
    assert.equal(m.headers.get('redelivered'), 'true', `${body} comes back marked redelivered`);
    left.push(body);
  }
}

const BODIES = ['m0', 'm1', 'm2', 'm3'];

for (const version of ['1.0', '1.1', '1.2'] as const) {
  test(`stomp: ${version} ack:client is cumulative: acking the third message acks the first three`, async (t) => {
    const dest = await filledQueue(t, BODIES);
    const c = await client(t, version);
    await c.request('SUBSCRIBE', { id: 's', destination: dest, ack: 'client' });
    const got: StompFrame[] = [];
    for (let i = 0; i < BODIES.length; i++) got.push(await c.message());
    assert.deepEqual(got.map((m) => m.body.toString()), BODIES);
    if (version === '1.2') for (const m of got) assert.ok(m.headers.get('ack'), '1.2 MESSAGE frames carry an ack header');
    await c.request('ACK', ackHeaders(version, got[2] as StompFrame));
    assert.deepEqual(await leftInQueue(t, c, dest), ['m3']);
  });

  test(`stomp: ${version} ack:client-individual acks only the named message`, async (t) => {
    const dest = await filledQueue(t, BODIES);
    const c = await client(t, version);
    await c.request('SUBSCRIBE', { id: 's', destination: dest, ack: 'client-individual' });
    const got: StompFrame[] = [];
    for (let i = 0; i < BODIES.length; i++) got.push(await c.message());
    await c.request('ACK', ackHeaders(version, got[1] as StompFrame));
    await c.request('ACK', ackHeaders(version, got[3] as StompFrame));
    assert.deepEqual(await leftInQueue(t, c, dest), ['m0', 'm2']);
  });

  test(`stomp: ${version} ack:auto needs no ACK and nothing comes back`, async (t) => {
    const dest = await filledQueue(t, BODIES);
    const c = await client(t, version);
    await c.request('SUBSCRIBE', { id: 's', destination: dest });
    for (let i = 0; i < BODIES.length; i++) await c.message();
    assert.deepEqual(await leftInQueue(t, c, dest), []);
  });
}

for (const version of ['1.1', '1.2'] as const) {
  test(`stomp: ${version} NACK redelivers the message with redelivered:true`, async (t) => {
    const dest = await filledQueue(t, ['only']);
    const c = await client(t, version);
    await c.request('SUBSCRIBE', { id: 's', destination: dest, ack: 'client-individual' });
    const first = await c.message();
    assert.equal(first.headers.has('redelivered'), false);
    await c.request('NACK', ackHeaders(version, first));
    const again = await c.message();
    assert.equal(again.body.toString(), 'only');
    assert.equal(again.headers.get('redelivered'), 'true');
    assert.equal(again.headers.get('message-id'), first.headers.get('message-id'));
    await c.request('ACK', ackHeaders(version, again));
    assert.deepEqual(await leftInQueue(t, c, dest), []);
  });
}

test('stomp: 1.1 ACK by message-id without a subscription header still finds the delivery', async (t) => {
  const dest = await filledQueue(t, ['a', 'b']);
  const c = await client(t, '1.1');
  await c.request('SUBSCRIBE', { id: 's', destination: dest, ack: 'client-individual' });
  const a = await c.message();
  await c.message();
  await c.request('ACK', { 'message-id': a.headers.get('message-id') ?? '' });
  assert.deepEqual(await leftInQueue(t, c, dest), ['b']);
});

test('stomp: an ACK cannot be used twice', async (t) => {
  const dest = await filledQueue(t, ['a']);
  const c = await client(t);
  await c.request('SUBSCRIBE', { id: 's', destination: dest, ack: 'client-individual' });
  const m = await c.message();
  await c.request('ACK', ackHeaders('1.2', m));
  c.send('ACK', { ...ackHeaders('1.2', m), receipt: 'twice' });
  const err = await c.errorThenClose();
  assert.equal(err.headers.get('receipt-id'), 'twice');
});

test('stomp: ACK inside a transaction takes effect on COMMIT, not on ABORT', async (t) => {
  const dest = await filledQueue(t, ['a', 'b']);
  const c = await client(t);
  await c.request('SUBSCRIBE', { id: 's', destination: dest, ack: 'client-individual' });
  const a = await c.message();
  const b = await c.message();
  await c.request('BEGIN', { transaction: 'keep' });
  await c.request('ACK', { ...ackHeaders('1.2', a), transaction: 'keep' });
  await c.request('COMMIT', { transaction: 'keep' });
  await c.request('BEGIN', { transaction: 'drop' });
  await c.request('ACK', { ...ackHeaders('1.2', b), transaction: 'drop' });
  await c.request('ABORT', { transaction: 'drop' });
  assert.deepEqual(await leftInQueue(t, c, dest), ['b']);
});

test('stomp: activemq.prefetchSize=1 holds the next message until the ACK', async (t) => {
  const dest = await filledQueue(t, ['a', 'b']);
  const c = await client(t);
  await c.request('SUBSCRIBE', { id: 's', destination: dest, ack: 'client-individual', 'activemq.prefetchSize': '1' });
  const a = await c.message();
  await assert.rejects(c.message(150), /timed out/, 'second message held back by prefetch');
  await c.request('ACK', ackHeaders('1.2', a));
  assert.equal((await c.message()).body.toString(), 'b');
});
