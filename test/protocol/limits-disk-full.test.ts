/**
 * A full disk, simulated on a child broker with RLIMIT_FSIZE (prlimit): persistent sends whose
 * journal write fails get an ERROR and no RECEIPT, the broker keeps serving other connections,
 * heals once the disk has room again, and after a restart holds every receipted message
 * (an unreceipted one at most once).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess } from '../helpers/broker-process.js';
import { RawStomp } from '../helpers/stomp-client.js';
import { fileSizeLimit, setFileSizeLimit, writeLimitsConfig } from '../helpers/limits-process.js';
import { NUMBER_HEADER, drainNumbered, numberedBody } from '../helpers/limits.js';

const KiB = 1024;
const BODY = 16 * KiB;
/** The "disk": no file of the broker may grow past this (the journal segment is the one that does). */
const FILE_SIZE_LIMIT = 256 * KiB;
/**
 * Bigger than the file-size limit, so a segment cannot be completed under it. Segments
 * preallocated before the limit was set (the current one, and a spare for the next roll) still
 * take writes: a refusal comes at the latest in the first segment that grows under the limit.
 */
const SEGMENT_SIZE = '1mb';
/** Two whole segments and the limit, with room to spare: the test fails if no send is refused by then. */
const MAX_SENDS = 256;

/** SENDs one persistent numbered message with a receipt; 'ok', or the ERROR frame's message. */
async function sendOne(c: RawStomp, n: number): Promise<'ok' | string> {
  const receipt = `df-${n}`;
  c.send('SEND', { destination: '/queue/disk.full', persistent: 'true', [NUMBER_HEADER]: String(n), receipt }, numberedBody(n, BODY));
  const f = await c.next((x) => x.command === 'ERROR' || (x.command === 'RECEIPT' && x.headers.get('receipt-id') === receipt));
  return f.command === 'RECEIPT' ? 'ok' : (f.headers.get('message') ?? '');
}

describe('limits: disk full', () => {
  it('limits: a full disk refuses persistent sends with an ERROR, the broker keeps serving and recovers when space returns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferrymq-diskfull-'));
    const dataDirectory = join(dir, 'data');
    const config = await writeLimitsConfig(dir, { dataDirectory, segmentSize: SEGMENT_SIZE });
    let broker = await BrokerProcess.start(config);
    const clients: RawStomp[] = [];
    const connect = async (): Promise<RawStomp> => {
      const c = await RawStomp.connect(broker.port);
      clients.push(c);
      return c;
    };
    try {
      await setFileSizeLimit(broker.pid, FILE_SIZE_LIMIT);
      assert.equal(await fileSizeLimit(broker.pid), String(FILE_SIZE_LIMIT));
      const receipted: number[] = [];
      let refused: { n: number; message: string } | undefined;
      const producer = await connect();
      for (let n = 1; n <= MAX_SENDS && refused === undefined; n++) {
        const r = await sendOne(producer, n);
        if (r === 'ok') receipted.push(n);
        else refused = { n, message: r };
      }
      assert.ok(refused, `no send was refused within ${MAX_SENDS} x ${BODY} bytes under a ${FILE_SIZE_LIMIT}-byte file limit`);
      assert.ok(receipted.length > 0, 'sends under the limit were stored');
      assert.match(refused.message, /write failed|STORE_IO|EFBIG|too large/i);
      await producer.waitClosed();
      assert.equal(producer.frames.filter((f) => f.command === 'RECEIPT' && f.headers.get('receipt-id') === `df-${refused.n}`).length, 0);

      // Still up, still serving: a new connection works, non-persistent traffic flows, and a
      // persistent send is refused again (the disk is still full), not left hanging.
      assert.doesNotThrow(() => process.kill(broker.pid, 0), 'the broker process is alive');
      const other = await connect();
      await other.subscribe('/queue/disk.np');
      await other.publish('/queue/disk.np', 'still-serving');
      assert.equal((await other.message()).body.toString(), 'still-serving');
      const again = await connect();
      const n2 = refused.n + 1;
      assert.notEqual(await sendOne(again, n2), 'ok', 'still full: refused');

      // Space comes back: persistent sends succeed again, without a restart.
      await setFileSizeLimit(broker.pid, 'unlimited');
      const healed = await connect();
      const after = [n2 + 1, n2 + 2, n2 + 3];
      for (const n of after) assert.equal(await sendOne(healed, n), 'ok', `send ${n} after space returned`);
      receipted.push(...after);

      // After a restart: every receipted message, once, in order; the refused ones at most once.
      for (const c of clients.splice(0)) c.close();
      await broker.stop();
      broker = await BrokerProcess.start(config);
      const consumer = await connect();
      await consumer.subscribe('/queue/disk.full', { ack: 'client', 'activemq.prefetchSize': '100' });
      const stored = await countStored(consumer);
      const refusedNumbers = [refused.n, n2];
      assert.deepEqual(
        stored.filter((n) => !refusedNumbers.includes(n)),
        receipted,
        'every receipted message, once, in send order',
      );
      for (const n of refusedNumbers) assert.ok(stored.filter((x) => x === n).length <= 1, `refused message ${n} at most once`);
    } finally {
      for (const c of clients) c.close();
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Drains the subscription until it stays quiet for a moment; returns the numbers received. */
async function countStored(c: RawStomp): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    let got: number[];
    try {
      got = await drainNumbered(c, 1, undefined, 500);
    } catch {
      return out;
    }
    out.push(...got);
  }
}
