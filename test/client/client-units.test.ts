/** The client's pure parts: reconnect schedule, message audit, destination names. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClientUri, toStompDestination } from '../../src/client/index.js';
import { MessageAudit } from '../../src/client/message-audit.js';
import { ReconnectSchedule } from '../../src/client/reconnect-schedule.js';

function delays(s: ReconnectSchedule, n: number): Array<number | undefined> {
  return Array.from({ length: n }, () => s.next()?.delay);
}

test('client-schedule: startup retries startupMaxReconnectAttempts times with exponential back-off', () => {
  const s = new ReconnectSchedule(parseClientUri('failover:(stomp://a:1)?startupMaxReconnectAttempts=4&initialReconnectDelay=10&maxReconnectDelay=50'));
  assert.deepEqual(delays(s, 5), [10, 20, 40, 50, undefined]);
  const none = new ReconnectSchedule(parseClientUri('failover:(stomp://a:1)?startupMaxReconnectAttempts=0'));
  assert.equal(none.next(), undefined);
});

test('client-schedule: after a loss the first pass is immediate, maxReconnectAttempts bounds the passes, a connection resets', () => {
  const s = new ReconnectSchedule(parseClientUri('failover:(stomp://a:1)?maxReconnectAttempts=3&backOffMultiplier=3'));
  s.connected();
  assert.deepEqual(
    [s.next(), s.next(), s.next(), s.next()],
    [{ attempt: 1, delay: 0 }, { attempt: 2, delay: 10 }, { attempt: 3, delay: 30 }, undefined],
  );
  s.connected();
  assert.deepEqual(s.next(), { attempt: 1, delay: 0 });
  const flat = new ReconnectSchedule(parseClientUri('failover:(stomp://a:1)?useExponentialBackOff=false&initialReconnectDelay=7'));
  flat.connected();
  assert.deepEqual(delays(flat, 4), [0, 7, 7, 7]);
  const forever = new ReconnectSchedule(parseClientUri('failover:(stomp://a:1)?maxReconnectDelay=100'));
  forever.connected();
  assert.equal(delays(forever, 1000).at(-1), 100);
});

test('client-schedule: URI order without randomize, shuffled with it, the failed broker last', () => {
  const uri = parseClientUri('failover:(stomp://a:1,stomp://b:1,stomp://c:1)?randomize=false');
  const s = new ReconnectSchedule(uri);
  const names = (list: Array<{ host: string }>): string => list.map((b) => b.host).join('');
  assert.equal(names(s.order()), 'abc');
  assert.equal(names(s.order(uri.brokers[0])), 'bca');
  const seen = new Set<string>();
  const random = new ReconnectSchedule(parseClientUri('failover:(stomp://a:1,stomp://b:1,stomp://c:1)'));
  for (let i = 0; i < 200; i++) seen.add(names(random.order()));
  assert.equal(seen.size, 6, 'every order of three brokers shows up');
});

test('client-audit: an acked message delivered again on a new connection is acked again, not delivered', () => {
  const a = new MessageAudit(10);
  assert.equal(a.seen('m1', 'ack-1', 1, false), 'deliver');
  assert.deepEqual(a.acked('m1', false), { ackId: 'ack-1', epoch: 1 });
  assert.equal(a.seen('m1', 'ack-9', 2, false), 'ack-again');
  // Held by the application (not acked yet): not delivered twice; its ack then names the new delivery.
  assert.equal(a.seen('m2', 'ack-2', 1, false), 'deliver');
  assert.equal(a.seen('m2', 'ack-10', 2, false), 'suppress');
  assert.deepEqual(a.acked('m2', false), { ackId: 'ack-10', epoch: 2 });
  // A NACK forgets the id: its redelivery reaches the application again.
  assert.equal(a.seen('m3', 'ack-3', 2, false), 'deliver');
  assert.deepEqual(a.nacked('m3'), { ackId: 'ack-3', epoch: 2 });
  assert.equal(a.seen('m3', 'ack-4', 2, false), 'deliver');
});

test('client-audit: cumulative acks cover earlier deliveries; auto-acked ids count as acked; the depth bounds it', () => {
  const a = new MessageAudit(3);
  for (const id of ['m1', 'm2', 'm3']) a.seen(id, id, 1, false);
  a.acked('m2', true);
  assert.equal(a.seen('m1', 'x', 2, false), 'ack-again');
  assert.equal(a.seen('m3', 'y', 2, false), 'suppress');
  a.seen('m4', 'm4', 2, false);
  assert.equal(a.size, 3, 'the oldest id is forgotten');
  assert.equal(a.seen('m1', 'z', 3, false), 'deliver');
  const auto = new MessageAudit(5);
  auto.seen('m1', 'm1', 1, true);
  assert.equal(auto.seen('m1', 'm1', 2, true), 'ack-again');
  const off = new MessageAudit(0);
  off.seen('m1', 'm1', 1, true);
  assert.equal(off.seen('m1', 'm1', 2, true), 'deliver');
});

test('client-destination: queue:// and bare names are queues; STOMP destinations stay', () => {
  assert.equal(toStompDestination('/queue/a'), '/queue/a');
  assert.equal(toStompDestination('/topic/a.>'), '/topic/a.>');
  assert.equal(toStompDestination('queue://orders'), '/queue/orders');
  assert.equal(toStompDestination('topic://prices'), '/topic/prices');
  assert.equal(toStompDestination('orders'), '/queue/orders');
  assert.equal(toStompDestination('queue://a,topic://b'), '/queue/a,/topic/b');
  assert.equal(toStompDestination('a,b'), '/queue/a,b');
});
