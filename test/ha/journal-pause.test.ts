/**
 * A master paused past its lease (SIGSTOP) on a shared data directory: the standby takes over
 * after about the lease; the old master, resumed (SIGCONT) with SENDs waiting in its socket,
 * writes nothing more to the journal (compared byte for byte), receipts none of them, steps down
 * to standby; the new master has exactly the messages receipted before the pause.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ClusterNode, TEST_HA } from '../helpers/ha-cluster.js';
import { bodies, RawStomp } from '../helpers/stomp-client.js';
import { parseDuration } from '../../src/config/schema-dsl.js';

const root = mkdtempSync(join(tmpdir(), 'ferrymq-ha-pause-'));
const nodes: ClusterNode[] = [];
after(async () => {
  for (const n of nodes) await n.kill9();
  rmSync(root, { recursive: true, force: true });
});

/** Segment files and the seals, with a hash of each: what "the store" is on disk. */
function journalSnapshot(dataDirectory: string): Record<string, string> {
  const dir = join(dataDirectory, 'journal');
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    if (!name.startsWith('segment-') && name !== 'seals.json') continue;
    out[name] = createHash('sha256').update(readFileSync(join(dir, name))).digest('hex');
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('ha: a master paused past its lease is replaced, writes nothing after it resumes, receipts nothing, and steps down', async () => {
  const data = join(root, 'data');
  const a = await ClusterNode.start({ dir: root, name: 'alpha', dataDirectory: data });
  nodes.push(a);
  await a.master();
  const b = await ClusterNode.start({ dir: root, name: 'beta', dataDirectory: data });
  nodes.push(b);
  await b.waitFor(/^standby: the master lock is held by broker alpha/m);

  const producer = await RawStomp.connect(a.port);
  for (let i = 1; i <= 100; i++) await producer.publish('/queue/pause.q', `before-${i}`, { persistent: 'true' });

  const paused = performance.now();
  a.signal('SIGSTOP');
  // SENDs the paused master will find in its socket when it resumes.
  for (let i = 1; i <= 50; i++) producer.send('SEND', { destination: '/queue/pause.q', persistent: 'true', receipt: `late-${i}` }, `late-${i}`);

  await b.master(20_000);
  const tookMs = performance.now() - paused;
  console.log(`# takeover from a SIGSTOPped master (lease ${TEST_HA.lease}): ${Math.round(tookMs)} ms`);
  assert.ok(tookMs >= (parseDuration(TEST_HA.lease) ?? 0) - (parseDuration(TEST_HA.renewInterval) ?? 0), `not before the lease ran out (${Math.round(tookMs)} ms)`);
  const sealed = journalSnapshot(data);

  a.signal('SIGCONT');
  await a.waitFor(/^stepping down: /m, 10_000);
  // Back in standby behind the new master, without having opened a listener on the way.
  await a.waitFor(/^standby: the master lock is held by broker beta/m, 10_000);
  await producer.waitClosed(10_000);
  const receipts = producer.frames.filter((f) => f.command === 'RECEIPT' && (f.headers.get('receipt-id') ?? '').startsWith('late-'));
  assert.deepEqual(receipts, [], 'the resumed old master receipted none of the SENDs it found in its socket');
  await sleep(1000);
  assert.deepEqual(journalSnapshot(data), sealed, 'the resumed old master wrote nothing to the journal');

  const consumer = await RawStomp.connect(b.port);
  await consumer.subscribe('/queue/pause.q');
  const got = bodies(await consumer.messages(100, undefined, 15_000));
  assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => `before-${i + 1}`));
  await consumer.expectNoMessage(500);
  consumer.close();
  assert.equal(await a.accepting(), false, 'the old master listens on nothing');
});
