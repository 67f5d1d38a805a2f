/**
 * STOMP transactions (BEGIN / COMMIT / ABORT) as the core applies them: sends held until commit,
 * acks that an abort undoes, and commits that are durable before their receipt.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies } from '../helpers/stomp-client.js';

/** The production setting (fsync per group commit), so the COMMIT receipt waits for a real sync. */
const JOURNAL_FSYNC = { store: { type: 'journal', journal: { sync: true } } } as const;

describe('core: transactions', () => {
  it('core: SEND inside a transaction is invisible until COMMIT', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/tx-send');
      await c.subscribe('/topic/tx-send');
      await p.request('BEGIN', { transaction: 't1' });
      await p.publish('/queue/tx-send', 'q1', { transaction: 't1' });
      await p.publish('/topic/tx-send', 't1', { transaction: 't1' });
      await p.publish('/queue/tx-send', 'outside'); // not in the transaction: visible at once
      assert.equal((await c.message()).body.toString(), 'outside');
      await c.expectNoMessage(150);
      await p.request('COMMIT', { transaction: 't1' });
      assert.deepEqual(bodies(await c.messages(2)).sort(), ['q1', 't1']);
    });
  });

  it('core: ABORT discards the transaction\'s sends', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/tx-abort');
      await p.request('BEGIN', { transaction: 't1' });
      await p.publish('/queue/tx-abort', 'discarded', { transaction: 't1', persistent: 'true' });
      await p.request('ABORT', { transaction: 't1' });
      await p.publish('/queue/tx-abort', 'after');
      assert.equal((await c.message()).body.toString(), 'after');
      await c.expectNoMessage(150);
      await assert.rejects(p.request('COMMIT', { transaction: 't1' }), /no transaction t1/);
    });
  });

  it('core: ACK inside an aborted transaction leaves the message unacked (it comes back on disconnect)', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/tx-ack-abort', { ack: 'client-individual' });
      await p.publish('/queue/tx-ack-abort', 'm1', { persistent: 'true' });
      const m = await c.message();
      await c.request('BEGIN', { transaction: 'ta' });
      await c.ack(m, { transaction: 'ta' });
      await c.request('ABORT', { transaction: 'ta' });
      await c.disconnect();
      const d = await connect();
      await d.subscribe('/queue/tx-ack-abort', { ack: 'client-individual' });
      const again = await d.message();
      assert.equal(again.body.toString(), 'm1');
      assert.equal(again.headers.get('redelivered'), 'true');
    });
  });

  it('core: after ABORT the message can still be acked outside the transaction', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/tx-ack-reack', { ack: 'client-individual' });
      await p.publish('/queue/tx-ack-reack', 'm1');
      const m = await c.message();
      await c.request('BEGIN', { transaction: 'ta' });
      await c.ack(m, { transaction: 'ta' });
      await c.request('ABORT', { transaction: 'ta' });
      await c.ack(m);
      await c.disconnect();
      const d = await connect();
      await d.subscribe('/queue/tx-ack-reack');
      await d.expectNoMessage(150);
    });
  });

  it('core: ACK inside a committed transaction removes the message', async () => {
    await withBroker(async (s) => {
      const c = await s.connect();
      const p = await s.connect();
      await c.subscribe('/queue/tx-ack-commit', { ack: 'client' });
      for (const b of ['k1', 'k2', 'k3']) await p.publish('/queue/tx-ack-commit', b, { persistent: 'true' });
      const got = await c.messages(3);
      await c.request('BEGIN', { transaction: 'tc' });
      await c.ack(got[1]!, { transaction: 'tc' }); // cumulative: k1, k2
      await c.request('COMMIT', { transaction: 'tc' });
      await c.disconnect();
      await s.restart();
      const d = await s.connect();
      await d.subscribe('/queue/tx-ack-commit');
      assert.deepEqual(bodies(await d.messages(1)), ['k3']);
      await d.expectNoMessage(150);
    });
  });

  it('core: a tx-acked message frees prefetch credit before the commit', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/tx-credit', { ack: 'client-individual', 'activemq.prefetchSize': '1' });
      await p.publish('/queue/tx-credit', 'first');
      await p.publish('/queue/tx-credit', 'second');
      const m1 = await c.message();
      await c.expectNoMessage(100);
      await c.request('BEGIN', { transaction: 'tx' });
      await c.ack(m1, { transaction: 'tx' });
      assert.equal((await c.message()).body.toString(), 'second');
      await c.request('COMMIT', { transaction: 'tx' });
    });
  });

  it('core: persistent sends committed in a transaction survive a restart (COMMIT receipt = durable)', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      await p.request('BEGIN', { transaction: 'tp' });
      for (const b of ['d1', 'd2', 'd3']) await p.publish('/queue/tx-durable', b, { transaction: 'tp', persistent: 'true' });
      await p.publish('/queue/tx-durable', 'transient', { transaction: 'tp' });
      await p.request('COMMIT', { transaction: 'tp' });
      await s.restart();
      const c = await s.connect();
      await c.subscribe('/queue/tx-durable');
      assert.deepEqual(bodies(await c.messages(3)), ['d1', 'd2', 'd3']);
      await c.expectNoMessage(150);
    }, JOURNAL_FSYNC);
  });

  it('core: an open transaction is rolled back when its connection closes', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/tx-dropped');
      await p.request('BEGIN', { transaction: 'tz' });
      await p.publish('/queue/tx-dropped', 'never', { transaction: 'tz' });
      await p.disconnect();
      await c.expectNoMessage(150);
    });
  });

  it('core: BEGIN twice with one id, or COMMIT of an unknown transaction, is an ERROR', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      await a.request('BEGIN', { transaction: 'dup' });
      await assert.rejects(a.request('BEGIN', { transaction: 'dup' }), /already open/);
      const b = await connect();
      await assert.rejects(b.request('COMMIT', { transaction: 'nope' }), /no transaction nope/);
      const c = await connect();
      await assert.rejects(c.publish('/queue/x', 'y', { transaction: 'nope' }), /no transaction nope/);
    });
  });
});
