/**
 * Model-based random test of journal compaction: random adds (one to three containers), acks,
 * destination and subscription removes, forced and policy compactions interleaved with appends
 * in flight, and reopens; after every burst the store must hold exactly the model's live set.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StoreOp } from '../../src/store/api.js';
import { JournalStore } from '../../src/store/journal/journal-store.js';
import { withTempDir } from './journal-helpers.js';

interface ModelMessage {
  containers: string[];
  readonly priority: number;
  readonly expiration: number;
  readonly data: Buffer;
}

/** Park-Miller: small, seedable, reproducible. */
function prng(seed: number): (n: number) => number {
  let state = seed % 2147483647 || 1;
  return (n) => {
    state = (state * 48271) % 2147483647;
    return state % n;
  };
}

const CONTAINERS = ['queue://a', 'queue://b', 'sub://c:s1', 'sub://c:s2'];
const SEEDS = Array.from({ length: 16 }, (_, k) => k + 1);
const BURSTS = 150;

async function runSeed(dir: string, seed: number): Promise<{ compactions: number; reopens: number }> {
  const rand = prng(seed);
  const options = {
    directory: join(dir, 'journal'),
    sync: false,
    segmentSize: 1024 + rand(4096),
    compactionThreshold: [0.25, 0.5, 0.9][rand(3)] as number,
    compactionStepBytes: 512 + rand(4096),
    compactionDelayMs: rand(2) === 0 ? 0 : 60_000,
  };
  const where = `seed ${seed} (${JSON.stringify({ ...options, directory: undefined })})`;
  const model = new Map<number, ModelMessage>();
  let nextId = 1;
  let store = new JournalStore(options);
  await store.open();
  let compactions = 0;
  let reopens = 0;

  const randomOps = (): StoreOp[] => {
    const ops: StoreOp[] = [];
    for (let k = rand(4); k >= 0; k--) {
      const roll = rand(100);
      if (roll < 45 || model.size === 0) {
        const containers = [...new Set(Array.from({ length: 1 + rand(3) }, () => CONTAINERS[rand(CONTAINERS.length)] as string))];
        const msg: ModelMessage = { containers, priority: rand(10), expiration: rand(2) * 1_000_000 + nextId, data: Buffer.alloc(rand(400), nextId & 0xff) };
        model.set(nextId, { ...msg, containers: [...containers] });
        ops.push({ op: 'add', id: nextId++, ...msg });
      } else if (roll < 92) {
        const ids = [...model.keys()];
        // Mostly recent messages, sometimes old ones: old segments keep a few live messages.
        const id = rand(3) === 0 ? (ids[rand(ids.length)] as number) : (ids[ids.length - 1 - rand(Math.min(ids.length, 20))] as number);
        const msg = model.get(id) as ModelMessage;
        const container = msg.containers[rand(msg.containers.length)] as string;
        ops.push({ op: 'ack', container, id });
        msg.containers = msg.containers.filter((c) => c !== container);
        if (msg.containers.length === 0) model.delete(id);
      } else if (roll < 94) {
        // Any id, maybe one never added or long gone: a no-op for the store unless it holds it.
        const id = rand(nextId + 5) + 1;
        ops.push({ op: 'ack', container: 'queue://a', id });
        const target = model.get(id);
        if (target !== undefined) {
          target.containers = target.containers.filter((c) => c !== 'queue://a');
          if (target.containers.length === 0) model.delete(id);
        }
      } else {
        const container = CONTAINERS[rand(CONTAINERS.length)] as string;
        if (container.startsWith('sub://')) ops.push({ op: 'subscription-remove', key: container });
        else ops.push({ op: 'destination-remove', name: container });
        for (const [id, msg] of model) {
          msg.containers = msg.containers.filter((c) => c !== container);
          if (msg.containers.length === 0) model.delete(id);
        }
      }
    }
    return ops;
  };

  const check = async (label: string): Promise<void> => {
    const ids = [...model.keys()];
    assert.equal(store.usage().messages, model.size, `${where} ${label}: live count`);
    assert.deepEqual(await store.read(ids), ids.map((id) => model.get(id)?.data), `${where} ${label}: bodies`);
  };

  for (let burst = 0; burst < BURSTS; burst++) {
    const pending: Promise<unknown>[] = [];
    for (let k = 1 + rand(6); k > 0; k--) {
      const ops = randomOps();
      pending.push(new Promise<void>((resolve, reject) => store.append(ops, (err) => (err ? reject(err) : resolve()))));
      if (rand(4) === 0) {
        // A forced compaction of a random segment, racing with the appends around it.
        const segments = store.segments().filter((s) => s.fileBytes > 0);
        const victim = segments[rand(Math.max(segments.length, 1))];
        if (victim !== undefined) pending.push(store.compactSegment(victim.seq));
      }
    }
    if (rand(10) === 0) pending.push(store.compactNow());
    await Promise.all(pending);
    await check(`burst ${burst}`);
    if (rand(12) === 0) {
      compactions += store.stats().compactions;
      await store.close();
      store = new JournalStore(options);
      const state = await store.open();
      reopens++;
      assert.deepEqual(
        state.messages.map((m) => [m.id, m.containers, m.priority, m.expiration]),
        [...model].map(([id, m]) => [id, m.containers, m.priority, m.expiration]),
        `${where} reopen after burst ${burst}`,
      );
      assert.ok(state.nextId >= nextId, `${where}: nextId`);
      await check(`reopen after burst ${burst}`);
    }
  }
  await store.compactNow();
  compactions += store.stats().compactions;
  await store.close();
  store = new JournalStore(options);
  const state = await store.open();
  assert.deepEqual(
    state.messages.map((m) => [m.id, m.containers]),
    [...model].map(([id, m]) => [id, m.containers]),
    `${where}: final reopen`,
  );
  await check('final');
  await store.close();
  return { compactions, reopens };
}

test('store: journal compaction keeps the live set equal to a model through random ops, compactions and reopens', async () => {
  let compactions = 0;
  for (const seed of SEEDS) {
    await withTempDir(async (dir) => {
      const result = await runSeed(dir, seed);
      compactions += result.compactions;
    });
  }
  assert.ok(compactions > 50, `compaction really ran (${compactions} times)`);
});
