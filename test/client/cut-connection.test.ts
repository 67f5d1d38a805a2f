/**
 * FerryClient through a TCP proxy that the tests break at chosen moments: after the broker has a
 * SEND but before its RECEIPT reaches the client, after the client acked but before the broker
 * got the ACK, with a transaction open. One broker for the file; each test has its own queue.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FerryClient, type ReceivedMessage } from '../../src/client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Inbox } from '../helpers/inbox.js';
import { waitFor } from '../helpers/stompjs-scenarios.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/** Long enough for a duplicate to show up on loopback after the last expected message. */
const QUIET_MS = 300;

let tb: TestBroker;
let proxy: TcpProxy;
before(async () => {
  tb = await startTestBroker();
  proxy = await TcpProxy.start(tb.port);
});
after(async () => {
  await proxy.close();
  await tb.stop();
});

const viaProxy = (): Promise<FerryClient> => FerryClient.connect(`failover:(stomp://127.0.0.1:${proxy.port})?initialReconnectDelay=10&maxReconnectDelay=100`);
const queue = (name: string): { depth: number; dequeued: number } | undefined => tb.broker.core.queues.get(`queue://${name}`);

/** Every message on `dest` now, by a fresh direct consumer (auto ack), after a quiet period. */
async function drain(dest: string): Promise<string[]> {
  const c = await FerryClient.connect(`stomp://127.0.0.1:${tb.port}`);
  const got: string[] = [];
  let last = Date.now();
  await c.subscribe(dest, (m) => {
    got.push(m.text);
    last = Date.now();
  });
  await waitFor(() => Date.now() - last > QUIET_MS, 'a quiet queue');
  await c.close();
  return got;
}

test('client: persistent sends whose RECEIPT was lost are resent after a cut and stored exactly once, in order', async () => {
  const c = await viaProxy();
  try {
    await c.send('/queue/client.once', 'm0', { persistent: true });
    proxy.blackholeDownstream();
    const sends = [1, 2, 3, 4, 5].map((i) => c.send('/queue/client.once', `m${i}`, { persistent: true }));
    await waitFor(() => queue('client.once')?.depth === 6, 'the broker stored all six');
    proxy.cut();
    // Each resolves on the RECEIPT of its resend: the broker knows the producer's sequence.
    await Promise.all(sends);
    assert.ok(proxy.accepted >= 2, 'the client reconnected through the proxy');
    assert.deepEqual(await drain('/queue/client.once'), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  } finally {
    await c.close();
  }
});

test('client: a redelivered message the application already acked is acked again silently, not handed over twice', async () => {
  const c = await viaProxy();
  const producer = await FerryClient.connect(`stomp://127.0.0.1:${tb.port}`);
  try {
    const seen: string[] = [];
    await c.subscribe(
      '/queue/client.audit',
      (m) => {
        seen.push(m.text);
        m.ack();
      },
      { ack: 'client-individual' },
    );
    proxy.blackholeUpstream(); // the ACK the handler writes is lost with this connection
    await producer.send('/queue/client.audit', 'only once', { persistent: true });
    await waitFor(() => seen.length === 1, 'the first delivery');
    proxy.cut();
    // The broker redelivers (it never got the ACK); the audit acks the redelivery itself.
    await waitFor(() => queue('client.audit')?.dequeued === 1, 'the broker received an ACK for the redelivery');
    await new Promise((r) => setTimeout(r, QUIET_MS));
    assert.deepEqual(seen, ['only once']);
    assert.equal(queue('client.audit')?.depth, 0);
  } finally {
    await Promise.all([c.close(), producer.close()]);
  }
});

test('client: a message still held by the application when the connection fails is not handed over again; its ack reaches the new connection', async () => {
  const c = await viaProxy();
  const producer = await FerryClient.connect(`stomp://127.0.0.1:${tb.port}`);
  try {
    const inbox = new Inbox<ReceivedMessage>();
    await c.subscribe('/queue/client.held', inbox.push, { ack: 'client-individual' });
    await producer.send('/queue/client.held', 'held', { persistent: true });
    const held = await inbox.next();
    const reconnected = new Promise((resolve) => c.once('connected', resolve));
    proxy.cut();
    await reconnected;
    await new Promise((r) => setTimeout(r, QUIET_MS)); // the redelivery arrives and is kept back
    assert.equal(inbox.length, 0, 'no second copy for the application');
    held.ack();
    await waitFor(() => queue('client.held')?.dequeued === 1, 'the ack of the redelivery');
  } finally {
    await Promise.all([c.close(), producer.close()]);
  }
});

test('client: an ERROR answering one SEND fails only that send; the client fails over and the others arrive', async () => {
  const c = await viaProxy();
  try {
    const bad = c.send('/nonsense/x', 'refused', { persistent: true });
    const good = c.send('/queue/client.error', 'fine', { persistent: true });
    await assert.rejects(bad, (e: Error & { code?: string }) => {
      assert.equal(e.code, 'INVALID_DESTINATION');
      assert.match(e.message, /SEND to \/nonsense\/x refused by stomp:\/\/127\.0\.0\.1:\d+: /);
      return true;
    });
    await good;
    assert.deepEqual(await drain('/queue/client.error'), ['fine']);
  } finally {
    await c.close();
  }
});

test('client: a transaction open when the connection fails over cannot commit', async () => {
  const c = await viaProxy();
  try {
    const tx = await c.begin();
    await tx.send('/queue/client.tx', 'in tx', { persistent: true });
    const reconnected = new Promise((resolve) => c.once('connected', resolve));
    proxy.cut();
    await reconnected;
    await assert.rejects(tx.commit(), { code: 'CLIENT_TRANSACTION_LOST', message: /was open when the connection failed over/ });
    const again = await c.begin();
    await again.send('/queue/client.tx', 'second try', { persistent: true });
    await again.commit();
    assert.deepEqual(await drain('/queue/client.tx'), ['second try']);
  } finally {
    await c.close();
  }
});

test('client: with the failover timeout a send fails once disconnected that long', async () => {
  const dead = await TcpProxy.start(tb.port);
  const c = await FerryClient.connect(`failover:(stomp://127.0.0.1:${dead.port})?timeout=200&initialReconnectDelay=10`);
  try {
    await dead.close(); // nothing listens any more: reconnecting goes on, sends wait
    await waitFor(() => c.connectedUri === undefined, 'the client noticed');
    const t0 = Date.now();
    await assert.rejects(c.send('/queue/client.timeout', 'x', { persistent: true }), { code: 'CLIENT_TIMEOUT' });
    assert.ok(Date.now() - t0 >= 150, 'it waited for the timeout');
  } finally {
    await c.close();
  }
});
