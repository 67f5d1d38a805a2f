/**
 * XA prepared transactions in the core: prepare makes sends and acks durable without applying
 * them; the transaction then outlives its session and a broker restart, is listed to every
 * session, and is committed or rolled back by name from any session.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrokerSession } from '../../src/broker/api.js';
import type { Message } from '../../src/broker/message.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { call, Collect, openSession, textMessage } from '../helpers/core-session.js';

const open = openSession;

function message(s: BrokerSession, queue: string, body: string): Message {
  return textMessage(s, queue, body, { persistent: true });
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function consume(tb: TestBroker, queue: string, ms = 50): Promise<Collect> {
  const s = open(tb);
  const sink = new Collect();
  s.subscribe({ id: 'c', destination: { kind: 'queue', name: queue }, ackMode: 'client-individual' }, sink);
  await tick(ms);
  s.close();
  return sink;
}

describe('core: XA prepared transactions', () => {
  it('core: a prepared transaction survives its session and a restart, holds its acked message, and commits from another session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrymq-xa-'));
    let tb = await startTestBroker({}, dir);
    try {
      const p = open(tb);
      await call((d) => p.send(message(p, 'xa.in', 'consumed-in-tx'), undefined, d));
      await call((d) => p.send(message(p, 'xa.in', 'untouched'), undefined, d));
      const s = open(tb);
      const sink = new Collect();
      s.subscribe({ id: 'c', destination: { kind: 'queue', name: 'xa.in' }, ackMode: 'client-individual', prefetch: 1 }, sink);
      await tick();
      const xid = 'XID:1:aa:01';
      assert.equal(s.begin(xid), undefined);
      await call((d) => s.ack(sink.got[0]!.ackId, xid, d));
      await call((d) => s.send(message(s, 'xa.out', 'sent-in-tx'), xid, d));
      await call((d) => s.prepare(xid, d));
      s.close(); // the transaction is the broker's now
      assert.deepEqual(open(tb).preparedTransactions(), [xid]);
      // Held: the acked message goes to nobody, the sent one is not visible yet.
      assert.deepEqual((await consume(tb, 'xa.in')).bodies(), ['untouched']);
      assert.deepEqual((await consume(tb, 'xa.out')).bodies(), []);

      await tb.stop({ keepData: true });
      tb = await startTestBroker({}, dir);
      const other = open(tb);
      assert.deepEqual(other.preparedTransactions(), [xid], 'prepared transactions survive a restart');
      assert.deepEqual((await consume(tb, 'xa.in')).bodies(), ['untouched'], 'the acked message stays held after the restart');
      assert.equal(other.begin(xid)?.code, 'DUPLICATE_TRANSACTION');
      await call((d) => other.commit(xid, d));
      assert.deepEqual(other.preparedTransactions(), []);
      assert.deepEqual((await consume(tb, 'xa.out')).bodies(), ['sent-in-tx']);
      assert.deepEqual((await consume(tb, 'xa.in')).bodies(), ['untouched']);

      // The commit is durable: after another restart nothing comes back.
      await tb.stop({ keepData: true });
      tb = await startTestBroker({}, dir);
      assert.deepEqual(open(tb).preparedTransactions(), []);
      assert.deepEqual((await consume(tb, 'xa.in')).bodies(), ['untouched']);
    } finally {
      await tb.stop({ keepData: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('core: rolling back a prepared transaction returns its acked message, redelivered, and drops its sends', async () => {
    const tb = await startTestBroker();
    try {
      const p = open(tb);
      await call((d) => p.send(message(p, 'xr.in', 'm1'), undefined, d));
      const s = open(tb);
      const sink = new Collect();
      s.subscribe({ id: 'c', destination: { kind: 'queue', name: 'xr.in' }, ackMode: 'client-individual' }, sink);
      await tick();
      const xid = 'XID:1:bb:02';
      s.begin(xid);
      await call((d) => s.ack(sink.got[0]!.ackId, xid, d));
      await call((d) => s.send(message(s, 'xr.out', 'never'), xid, d));
      await call((d) => s.prepare(xid, d));
      s.unsubscribe('c');
      assert.deepEqual((await consume(tb, 'xr.in')).bodies(), [], 'held while prepared');
      const other = open(tb);
      await new Promise<void>((resolve, reject) => {
        const err = other.rollback(xid, (e) => (e ? reject(e) : resolve()));
        if (err) reject(err);
      });
      const back = await consume(tb, 'xr.in');
      assert.deepEqual(back.bodies(), ['m1']);
      assert.equal(back.got[0]?.redelivered, true);
      assert.deepEqual((await consume(tb, 'xr.out')).bodies(), []);
      await assert.rejects(call((d) => other.commit(xid, d)), /no transaction/);
    } finally {
      await tb.stop();
    }
  });
});
