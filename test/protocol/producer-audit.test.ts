/**
 * The producer audit: a SEND carrying `ferrymq.producerId` + `ferrymq.producerSeq` that the broker
 * already accepted (a failover client resending what it got no receipt for) is answered with a
 * RECEIPT but not stored or delivered again, also after a restart and after the original was
 * consumed. The audit's size is `store.producerAudit` (0 = off).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies, type RawStomp } from '../helpers/stomp-client.js';

const tagged = (producer: string, seq: number, persistent = true): Record<string, string> => ({
  'ferrymq.producerId': producer,
  'ferrymq.producerSeq': String(seq),
  ...(persistent ? { persistent: 'true' } : {}),
});

/** Sends `seqs` of `producer` to `dest`, each with a receipt, body `<producer>-<seq>`. */
async function sendSeqs(c: RawStomp, dest: string, producer: string, seqs: number[], persistent = true): Promise<void> {
  for (const n of seqs) await c.publish(dest, `${producer}-${n}`, tagged(producer, n, persistent));
}

async function drain(c: RawStomp, dest: string, n: number): Promise<string[]> {
  await c.subscribe(dest);
  const got = bodies(await c.messages(n));
  await c.expectNoMessage(300);
  return got;
}

describe('producer audit', () => {
  it('audit: a resent persistent message is receipted but delivered once, and its headers do not reach consumers', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      await sendSeqs(p, '/queue/audit.a', 'p1', [1, 2, 3]);
      await sendSeqs(p, '/queue/audit.a', 'p1', [2, 3]); // resent: receipts come, nothing is stored
      await sendSeqs(p, '/queue/audit.a', 'p1', [4]);
      const c = await s.connect();
      await c.subscribe('/queue/audit.a');
      const frames = await c.messages(4);
      assert.deepEqual(bodies(frames), ['p1-1', 'p1-2', 'p1-3', 'p1-4']);
      for (const f of frames) {
        assert.equal(f.headers.has('ferrymq.producerId'), false);
        assert.equal(f.headers.has('ferrymq.producerSeq'), false);
      }
      await c.expectNoMessage(300);
      assert.equal(s.tb.broker.core.queues.get('queue://audit.a')?.depth, 0);
    });
  });

  it('audit: survives a restart, and remembers messages long consumed', async () => {
    await withBroker(async (s) => {
      let p = await s.connect();
      await sendSeqs(p, '/queue/audit.r', 'p1', [1, 2, 3]);
      await sendSeqs(p, '/queue/audit.r', 'p2', [1]);
      assert.deepEqual(await drain(await s.connect(), '/queue/audit.r', 4), ['p1-1', 'p1-2', 'p1-3', 'p2-1']);
      await s.restart();
      p = await s.connect();
      // The resends of a client that never saw the receipts: all already consumed.
      await sendSeqs(p, '/queue/audit.r', 'p1', [2, 3]);
      await sendSeqs(p, '/queue/audit.r', 'p2', [1, 2]);
      assert.deepEqual(await drain(await s.connect(), '/queue/audit.r', 1), ['p2-2']);
    });
  });

  it('audit: a duplicate arriving while the original is still being written waits for its outcome', async () => {
    await withBroker(
      async (s) => {
        const a = await s.connect();
        const b = await s.connect();
        // Same pair from two connections in the same tick: one is stored, both are receipted.
        await Promise.all([a.publish('/queue/audit.f', 'first', tagged('px', 1)), b.publish('/queue/audit.f', 'second', tagged('px', 1))]);
        const got = await drain(await s.connect(), '/queue/audit.f', 1);
        assert.equal(got.length, 1);
      },
      { store: { journal: { sync: true } } },
    );
  });

  it('audit: non-persistent resends are suppressed in memory too', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      await sendSeqs(p, '/queue/audit.np', 'p1', [1, 2], false);
      await sendSeqs(p, '/queue/audit.np', 'p1', [1, 2], false);
      assert.deepEqual(await drain(await s.connect(), '/queue/audit.np', 2), ['p1-1', 'p1-2']);
    });
  });

  it('audit: malformed producer headers are an ERROR', async () => {
    await withBroker(async (s) => {
      const cases: Array<Record<string, string>> = [
        { 'ferrymq.producerId': 'p' },
        { 'ferrymq.producerSeq': '1' },
        { 'ferrymq.producerId': 'p', 'ferrymq.producerSeq': '0' },
        { 'ferrymq.producerId': 'p', 'ferrymq.producerSeq': 'x' },
        { 'ferrymq.producerId': 'x'.repeat(300), 'ferrymq.producerSeq': '1' },
      ];
      for (const headers of cases) {
        const c = await s.connect();
        c.send('SEND', { destination: '/queue/audit.bad', receipt: 'r', ...headers }, 'x');
        const err = await c.errorThenClose();
        assert.match(err.headers.get('message') ?? '', /ferrymq\.producerId/, JSON.stringify(headers));
      }
    });
  });

  it('audit: store.producerAudit bounds the producers remembered; 0 turns the audit off', async () => {
    await withBroker(
      async (s) => {
        const p = await s.connect();
        await sendSeqs(p, '/queue/audit.lim', 'old', [1]);
        await sendSeqs(p, '/queue/audit.lim', 'n1', [1]);
        await sendSeqs(p, '/queue/audit.lim', 'n2', [1]);
        // 'old' was the least recently used of three with room for two: forgotten, so stored again.
        await sendSeqs(p, '/queue/audit.lim', 'old', [1]);
        await sendSeqs(p, '/queue/audit.lim', 'n2', [1]);
        assert.deepEqual(await drain(await s.connect(), '/queue/audit.lim', 4), ['old-1', 'n1-1', 'n2-1', 'old-1']);
      },
      { store: { producerAudit: 2 } },
    );
    await withBroker(
      async (s) => {
        const p = await s.connect();
        await sendSeqs(p, '/queue/audit.off', 'p', [1, 1]);
        assert.deepEqual(await drain(await s.connect(), '/queue/audit.off', 2), ['p-1', 'p-1']);
      },
      { store: { producerAudit: 0 } },
    );
  });
});
