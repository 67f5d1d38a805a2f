/**
 * FerryClient against real brokers on real sockets: failover from a stopped broker to another,
 * and reconnecting to a broker restarted on the same data directory and port.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FerryClient, type ReceivedMessage } from '../../src/client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { freePort } from '../helpers/ports.js';
import { Inbox } from '../helpers/inbox.js';
import { waitFor } from '../helpers/stompjs-scenarios.js';

/** Reconnect quickly: the tests wait for it. */
const FAST = 'randomize=false&initialReconnectDelay=20&maxReconnectDelay=200';

let a: TestBroker;
let b: TestBroker;
let bPort: number;
let bDir: string;
const startB = (): Promise<TestBroker> => startTestBroker({ listeners: [{ uri: `stomp://127.0.0.1:${bPort}` }] }, bDir);

before(async () => {
  bPort = await freePort();
  bDir = mkdtempSync(join(tmpdir(), 'ferrymq-client-b-'));
  [a, b] = await Promise.all([startTestBroker(), startB()]);
});
after(async () => {
  await Promise.all([a.stop(), b.stop()]);
});

/** Records the client's events as short strings. */
function recordEvents(c: FerryClient): string[] {
  const events: string[] = [];
  c.on('connected', (uri) => events.push(`connected ${uri}`));
  c.on('disconnected', () => events.push('disconnected'));
  c.on('reconnecting', (attempt) => events.push(`reconnecting ${attempt}`));
  return events;
}

test('client: fails over from a stopped broker to the other, subscribes again there and keeps sending', async () => {
  const c = await FerryClient.connect(`failover:(stomp://127.0.0.1:${a.port},stomp://127.0.0.1:${bPort})?${FAST}`);
  try {
    const events = recordEvents(c);
    assert.equal(c.connectedUri, `stomp://127.0.0.1:${a.port}`, 'randomize=false: the first broker first');
    const inbox = new Inbox<ReceivedMessage>();
    await c.subscribe('/queue/client.failover', inbox.push, { ack: 'client-individual', selector: "kind = 'x'" });
    await c.send('/queue/client.failover', 'one', { persistent: true, headers: { kind: 'x' } });
    const one = await inbox.next();
    assert.equal(one.text, 'one');
    one.ack();

    await a.stop();
    await waitFor(() => c.connectedUri === `stomp://127.0.0.1:${bPort}`, 'the client on broker B');
    assert.deepEqual(events, ['disconnected', 'reconnecting 1', `connected stomp://127.0.0.1:${bPort}`]);
    // The same subscription (id, ack mode, selector) exists on B: a message sent there arrives.
    await c.send('queue://client.failover', 'skipped by the selector', { persistent: true, headers: { kind: 'y' } });
    await c.send('client.failover', 'two', { persistent: true, headers: { kind: 'x' } });
    const two = await inbox.next();
    assert.deepEqual([two.text, two.destination, two.headers['kind']], ['two', '/queue/client.failover', 'x']);
    two.ack();
    await waitFor(() => b.broker.core.queues.get('queue://client.failover')?.dequeued === 1, 'B received the ack');
    assert.equal(b.broker.core.queues.get('queue://client.failover')?.depth, 1, 'the non-matching message waits on B');
  } finally {
    await c.close();
  }
});

test('client: reconnects to a broker restarted on the same data directory; a send made while it is down goes out after', async () => {
  const c = await FerryClient.connect(`failover:(stomp://127.0.0.1:${bPort})?${FAST}`);
  const events = recordEvents(c);
  const inbox = new Inbox<ReceivedMessage>();
  try {
    await c.subscribe('/queue/client.restart', inbox.push, { ack: 'client', prefetch: 10 });
    await b.stop({ keepData: true });
    await waitFor(() => events.includes('disconnected'), 'the client noticed');
    const whileDown = c.send('/queue/client.restart', 'sent while down', { persistent: true });
    b = await startB();
    await whileDown;
    const m = await inbox.next();
    assert.equal(m.text, 'sent while down');
    m.ack();
    assert.equal(events.at(-1), `connected stomp://127.0.0.1:${bPort}`);
    assert.ok(events.filter((e) => e.startsWith('reconnecting')).length >= 1);
    await waitFor(() => b.broker.core.queues.get('queue://client.restart')?.dequeued === 1, 'the restarted broker received the ack');
  } finally {
    await c.close();
  }
  // A closed client refuses new work with CLIENT_CLOSED.
  await assert.rejects(c.send('/queue/x', 'late'), { code: 'CLIENT_CLOSED' });
});

test('client: a plain URI does not reconnect; the first connect fails fast when nothing listens', async () => {
  const port = await freePort();
  await assert.rejects(FerryClient.connect(`stomp://127.0.0.1:${port}`), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'CLIENT_CONNECT_FAILED');
    assert.match(e.message, new RegExp(`cannot connect to stomp://127.0.0.1:${port}`));
    return true;
  });
  await assert.rejects(FerryClient.connect(`failover:(stomp://127.0.0.1:${port})?startupMaxReconnectAttempts=2&initialReconnectDelay=5`), {
    code: 'CLIENT_CONNECT_FAILED',
  });

  const tb = await startTestBroker();
  const c = await FerryClient.connect(`stomp://127.0.0.1:${tb.port}`);
  const closed = new Promise((resolve) => c.once('closed', resolve));
  await tb.stop();
  const reason = (await closed) as Error;
  assert.match(reason.message, /a plain URI does not reconnect/);
  await assert.rejects(c.send('/queue/x', 'after'), { code: 'CLIENT_CLOSED' });
  let closedAgain = false;
  c.once('closed', () => (closedAgain = true));
  await c.close();
  assert.equal(closedAgain, false, "close() after giving up emits no second 'closed'");
});

test('client: open() retries at startup with reconnecting events; close() ends the retries and open() rejects', async () => {
  const port = await freePort();
  const c = new FerryClient(`failover:(stomp://127.0.0.1:${port})?initialReconnectDelay=20`);
  const attempts: Array<[number, string | undefined]> = [];
  c.on('reconnecting', (attempt, _delay, lastError) => attempts.push([attempt, lastError?.code]));
  const opening = c.open();
  await waitFor(() => attempts.length >= 2, 'two retries');
  assert.deepEqual(attempts.slice(0, 2), [
    [1, 'CLIENT_CONNECT_FAILED'],
    [2, 'CLIENT_CONNECT_FAILED'],
  ]);
  await c.close();
  await assert.rejects(opening, { code: 'CLIENT_CLOSED' });
});

test('client: connects to an IPv6 address in brackets', async (t) => {
  let v6: TestBroker;
  try {
    v6 = await startTestBroker({ listeners: [{ uri: 'stomp://[::1]:0' }] });
  } catch {
    t.skip('this machine has no IPv6 loopback');
    return;
  }
  const c = await FerryClient.connect(`failover:(stomp://[::1]:${v6.port})?randomize=false`);
  try {
    assert.equal(c.connectedUri, `stomp://[::1]:${v6.port}`);
    await c.send('/queue/client.v6', 'over IPv6', { persistent: true });
    assert.equal(v6.broker.core.queues.get('queue://client.v6')?.depth, 1);
  } finally {
    await c.close();
    await v6.stop();
  }
});
