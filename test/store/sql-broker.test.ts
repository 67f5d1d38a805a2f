/**
 * A whole broker on each SQL store (with `ha.lock: auto`, so also under the database lock, with
 * every write checked against the lock row): persistent messages, acks and durable subscriptions
 * survive a restart, as on the journal (test/protocol/core-persistence.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withBroker } from '../helpers/broker.js';
import { startMariaDb, startPostgres, type DbServer } from '../helpers/db-servers.js';
import { bodies } from '../helpers/stomp-client.js';
import { call, Collect, openSession, textMessage } from '../helpers/core-session.js';

for (const [type, start] of [
  ['postgres', startPostgres],
  ['mysql', startMariaDb],
] as const) {
  describe(`store: a broker on ${type}`, () => {
    let server: DbServer;
    before(async () => {
      server = await start();
    });
    after(() => server?.destroy());

    test(`store: a broker on ${type} keeps persistent and unacknowledged messages and durable subscriptions across a restart`, () =>
      withBroker(
        async (s) => {
          const p = await s.connect();
          await p.publish('/queue/q', 'p1', { persistent: 'true' });
          await p.publish('/queue/q', 'np');
          await p.publish('/queue/q', 'p2', { persistent: 'true', priority: '9' });
          await p.publish('/queue/q', Buffer.alloc(100_000, 7).toString('latin1'), { persistent: 'true', priority: '0' });
          const c = await s.connect({ 'client-id': 'c1' });
          await c.subscribe('/topic/news', { 'activemq.subscriptionName': 'n1' });
          await c.disconnect();
          await p.publish('/topic/news', 'headline', { persistent: 'true' });
          const a = await s.connect();
          await a.subscribe('/queue/acked', { ack: 'client-individual' });
          await p.publish('/queue/acked', 'a1', { persistent: 'true' });
          await p.publish('/queue/acked', 'a2', { persistent: 'true' });
          const got = await a.messages(2);
          await a.ack(got[0]!);
          await a.disconnect();
          await s.restart();
          const d = await s.connect({ 'client-id': 'c1' });
          await d.subscribe('/queue/q');
          const q = await d.messages(3);
          assert.deepEqual(bodies(q).slice(0, 2), ['p2', 'p1']);
          assert.equal(q[2]?.body.length, 100_000);
          await d.subscribe('/queue/acked');
          assert.deepEqual(bodies([await d.message()]), ['a2']);
          await d.subscribe('/topic/news', { 'activemq.subscriptionName': 'n1' });
          assert.deepEqual(bodies([await d.message()]), ['headline']);
          await d.expectNoMessage(150);
        },
        { store: { type, url: server.url, tablePrefix: 'BROKER_' } },
      ));

    test(`store: a broker on ${type} keeps an XA prepared transaction across a restart, then commits it`, () =>
      withBroker(
        async (s) => {
          const p = openSession(s.tb);
          await call((d) => p.send(textMessage(p, 'xa.in', 'consumed', { persistent: true }), undefined, d));
          const x = openSession(s.tb);
          const sink = new Collect();
          x.subscribe({ id: 'c', destination: { kind: 'queue', name: 'xa.in' }, ackMode: 'client-individual' }, sink);
          await new Promise((r) => setTimeout(r, 50));
          x.begin('XID:1:cc:01');
          await call((d) => x.ack(sink.got[0]!.ackId, 'XID:1:cc:01', d));
          await call((d) => x.send(textMessage(x, 'xa.out', 'produced', { persistent: true }), 'XID:1:cc:01', d));
          await call((d) => x.prepare('XID:1:cc:01', d));
          await s.restart();
          const after = openSession(s.tb);
          assert.deepEqual(after.preparedTransactions(), ['XID:1:cc:01']);
          await call((d) => after.commit('XID:1:cc:01', d));
          const out = new Collect();
          after.subscribe({ id: 'o', destination: { kind: 'queue', name: 'xa.out' }, ackMode: 'auto' }, out);
          const inq = new Collect();
          after.subscribe({ id: 'i', destination: { kind: 'queue', name: 'xa.in' }, ackMode: 'auto' }, inq);
          await new Promise((r) => setTimeout(r, 100));
          assert.deepEqual([out.bodies(), inq.bodies()], [['produced'], []]);
        },
        { store: { type, url: server.url, tablePrefix: 'XA_' } },
      ));
  });
}
