/**
 * The shared MessageStore conformance suite (src/store/api.ts). Every store runs it:
 *   runStoreConformance('journal', (dir) => createStore(..., dir), { persistent: true });
 * For a persistent store "reopen" closes the instance and opens a new one on the same
 * directory; for a non-persistent one it calls open() again on the same instance, which the
 * memory store answers with its current state.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DurableSubscriptionRecord, MessageStore, RecoveredMessage, RecoveredState, StoreOp } from '../../src/store/api.js';
import { isFerryError } from '../../src/errors.js';

export interface ConformanceOptions {
  /** Data survives close() + a new instance on the same directory. */
  readonly persistent: boolean;
}

export function appendAsync(store: MessageStore, ops: readonly StoreOp[]): Promise<void> {
  return new Promise((resolve, reject) => store.append(ops, (err) => (err ? reject(err) : resolve())));
}

export function add(id: number, containers: string[], data: Buffer = Buffer.from(`body-${id}`), priority = 4, expiration = 0): StoreOp {
  return { op: 'add', id, containers, priority, expiration, data };
}

export function ack(container: string, id: number): StoreOp {
  return { op: 'ack', container, id };
}

export function errorCode(e: unknown): string | undefined {
  return isFerryError(e) ? e.code : undefined;
}

interface Harness {
  store: MessageStore;
  reopen(): Promise<RecoveredState>;
}

/** What the suite may ask of a store beyond its directory. */
export interface StoreSettings {
  /** Producers the audit keeps (the `producer` op); the store's default when absent. */
  readonly maxProducers?: number;
}

/**
 * `makeStore(dir, settings)` builds a store over `dir` (a fresh temporary directory per test; a
 * SQL store uses it only to pick its own fresh tables or database). `reset(dir)`, when given,
 * runs after each test to drop what a store keeps outside `dir`.
 */
export function runStoreConformance(
  name: string,
  makeStore: (dir: string, settings: StoreSettings) => MessageStore,
  options: ConformanceOptions,
): void {
  async function withStore(fn: (h: Harness, first: RecoveredState) => Promise<void>, settings: StoreSettings = {}): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), `ferrymq-${name}-`));
    const h: Harness = {
      store: makeStore(dir, settings),
      async reopen() {
        if (!options.persistent) return h.store.open();
        await h.store.close();
        h.store = makeStore(dir, settings);
        return h.store.open();
      },
    };
    try {
      await fn(h, await h.store.open());
    } finally {
      await h.store.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  const ids = (state: RecoveredState): number[] => state.messages.map((m) => m.id);
  // Only the contract's fields: a store may hand out richer objects (the journal shares its index entries).
  const messages = (state: RecoveredState): RecoveredMessage[] =>
    state.messages.map(({ id, containers, priority, expiration, size }) => ({ id, containers, priority, expiration, size }));

  test(`store: ${name} starts empty`, () =>
    withStore(async (_h, first) => {
      assert.deepEqual(first.destinations, []);
      assert.deepEqual(first.subscriptions, []);
      assert.deepEqual(first.messages, []);
      assert.equal(typeof first.nextId, 'number');
    }));

  test(`store: ${name} recovers adds minus acks with their fields`, () =>
    withStore(async (h) => {
      await appendAsync(h.store, [{ op: 'destination-add', name: 'queue://a' }, add(1, ['queue://a'])]);
      await appendAsync(h.store, [add(2, ['queue://a'], Buffer.from('two'), 9, 1234567890123), add(3, ['queue://a'])]);
      await appendAsync(h.store, [ack('queue://a', 1), ack('queue://a', 99), ack('queue://nope', 2)]);
      const state = await h.reopen();
      assert.deepEqual(state.destinations, ['queue://a']);
      assert.deepEqual(messages(state), [
        { id: 2, containers: ['queue://a'], priority: 9, expiration: 1234567890123, size: 3 },
        { id: 3, containers: ['queue://a'], priority: 4, expiration: 0, size: 6 },
      ]);
      assert.deepEqual(await h.store.read([3, 2]), [Buffer.from('body-3'), Buffer.from('two')]);
      assert.equal(h.store.usage().messages, 2);
      await assert.rejects(h.store.read([1]), (e) => errorCode(e) === 'UNKNOWN_MESSAGE');
    }));

  test(`store: ${name} keeps a multi-container message until every container acks`, () =>
    withStore(async (h) => {
      await appendAsync(h.store, [add(1, ['queue://a', 'sub://c:s1', 'sub://c:s2'])]);
      await appendAsync(h.store, [ack('sub://c:s1', 1)]);
      let state = await h.reopen();
      assert.deepEqual(state.messages[0]?.containers, ['queue://a', 'sub://c:s2']);
      await appendAsync(h.store, [ack('queue://a', 1)]);
      state = await h.reopen();
      assert.deepEqual(state.messages[0]?.containers, ['sub://c:s2']);
      await appendAsync(h.store, [ack('sub://c:s2', 1)]);
      state = await h.reopen();
      assert.deepEqual(state.messages, []);
      assert.equal(h.store.usage().messages, 0);
    }));

  test(`store: ${name} destination remove drops the destination and its messages`, () =>
    withStore(async (h) => {
      await appendAsync(h.store, [
        { op: 'destination-add', name: 'queue://a' },
        { op: 'destination-add', name: 'queue://b' },
        { op: 'destination-add', name: 'topic://t' },
        add(1, ['queue://a']),
        add(2, ['queue://b']),
        add(3, ['queue://a', 'queue://b']),
      ]);
      await appendAsync(h.store, [{ op: 'destination-remove', name: 'queue://a' }]);
      const state = await h.reopen();
      assert.deepEqual([...state.destinations].sort(), ['queue://b', 'topic://t']);
      assert.deepEqual(ids(state), [2, 3]);
      assert.deepEqual(state.messages[1]?.containers, ['queue://b']);
    }));

  test(`store: ${name} subscription remove drops the subscription and its messages`, () =>
    withStore(async (h) => {
      const s1: DurableSubscriptionRecord = {
        key: 'sub://c:s1',
        clientId: 'c',
        subscriptionName: 's1',
        destination: 'topic://news.>',
        selector: "region = 'EU' AND prio > 3 — ünïcödé",
        noLocal: false,
      };
      const s2: DurableSubscriptionRecord = { key: 'sub://c:s2', clientId: 'c', subscriptionName: 's2', destination: 'topic://news' };
      await appendAsync(h.store, [{ op: 'subscription-add', sub: s1 }, { op: 'subscription-add', sub: s2 }]);
      await appendAsync(h.store, [add(1, ['sub://c:s1', 'sub://c:s2']), add(2, ['sub://c:s1'])]);
      let state = await h.reopen();
      assert.deepEqual(state.subscriptions, [s1, s2]);
      await appendAsync(h.store, [{ op: 'subscription-remove', key: 'sub://c:s1' }]);
      state = await h.reopen();
      assert.deepEqual(state.subscriptions, [s2]);
      assert.deepEqual(messages(state), [{ id: 1, containers: ['sub://c:s2'], priority: 4, expiration: 0, size: 6 }]);
    }));

  test(`store: ${name} nextId is greater than every id ever appended`, () =>
    withStore(async (h) => {
      await appendAsync(h.store, [add(5, ['queue://a']), add(70, ['queue://a'])]);
      await appendAsync(h.store, [ack('queue://a', 5), ack('queue://a', 70)]);
      const state = await h.reopen();
      assert.deepEqual(state.messages, []);
      assert.ok(state.nextId > 70, `nextId ${state.nextId}`);
    }));

  test(`store: ${name} a batch with a malformed op stores nothing of the batch`, () =>
    withStore(async (h) => {
      await appendAsync(h.store, [add(1, ['queue://a'])]);
      const bad = [ack('queue://a', 1), add(2, ['queue://a']), { op: 'add', id: 3, containers: ['queue://a'], priority: 4, expiration: 0 }];
      await assert.rejects(appendAsync(h.store, bad as StoreOp[]), (e) => errorCode(e) === 'STORE_INVALID_BATCH');
      await assert.rejects(appendAsync(h.store, [add(2, ['queue://a']), { op: 'bogus' } as unknown as StoreOp]));
      await appendAsync(h.store, [add(4, ['queue://a'])]);
      const state = await h.reopen();
      assert.deepEqual(ids(state), [1, 4]);
    }));

  test(`store: ${name} completes callbacks in append order`, () =>
    withStore(async (h) => {
      const order: number[] = [];
      const all: Promise<void>[] = [];
      for (let i = 1; i <= 200; i++) {
        all.push(
          new Promise((resolve, reject) =>
            h.store.append([add(i, ['queue://a'])], (err) => {
              order.push(i);
              if (err) reject(err);
              else resolve();
            }),
          ),
        );
      }
      await Promise.all(all);
      assert.deepEqual(order, Array.from({ length: 200 }, (_, k) => k + 1));
      assert.equal(h.store.usage().messages, 200);
    }));

  test(`store: ${name} read returns the exact bytes`, () =>
    withStore(async (h) => {
      const bodies = [Buffer.alloc(0), Buffer.from([0, 255, 1, 254]), Buffer.alloc(70_000)];
      for (let i = 0; i < bodies[2]!.length; i++) bodies[2]![i] = (i * 131) & 0xff;
      const given = Buffer.from('reused');
      await appendAsync(h.store, [...bodies.map((b, i) => add(i + 1, ['queue://a'], b)), add(4, ['queue://a'], given)]);
      given.fill(0); // the store must have kept its own copy (or written it) before the callback
      assert.deepEqual(await h.store.read([1, 2, 3, 4]), [...bodies, Buffer.from('reused')]);
      await h.reopen();
      assert.deepEqual(await h.store.read([3, 1, 4, 2]), [bodies[2], bodies[0], Buffer.from('reused'), bodies[1]]);
      await assert.rejects(h.store.read([2, 12345]), (e) => errorCode(e) === 'UNKNOWN_MESSAGE');
    }));

  test(`store: ${name} close waits for appends in flight, then refuses appends`, () =>
    withStore(async (h) => {
      let completed: Error | undefined | null = null;
      h.store.append([add(1, ['queue://a'])], (err) => {
        completed = err;
      });
      await h.store.close();
      assert.equal(completed, undefined, 'the append before close() completed successfully');
      await assert.rejects(appendAsync(h.store, [add(2, ['queue://a'])]), (e) => errorCode(e) === 'STORE_CLOSED');
      if (options.persistent) {
        const state = await h.reopen();
        assert.deepEqual(ids(state), [1]);
      }
    }));

  const producer = (p: string, seq: number): StoreOp => ({ op: 'producer', producer: p, seq });

  test(`store: ${name} keeps the producer audit across acks and reopen, least recently written first`, () =>
    withStore(async (h, first) => {
      assert.deepEqual(first.producers, []);
      await appendAsync(h.store, [add(1, ['queue://a']), producer('p1', 1)]);
      await appendAsync(h.store, [add(2, ['queue://a']), producer('p2', 7), add(3, ['queue://a']), producer('p1', 2)]);
      // A lower sequence never lowers what is held (a resend that got through twice).
      await appendAsync(h.store, [producer('p2', 3)]);
      await appendAsync(h.store, [ack('queue://a', 1), ack('queue://a', 2), ack('queue://a', 3)]);
      const state = await h.reopen();
      assert.deepEqual(state.messages, [], 'acked messages are gone');
      assert.deepEqual(state.producers, [
        { producer: 'p1', seq: 2 },
        { producer: 'p2', seq: 7 },
      ]);
    }));

  test(`store: ${name} keeps only the most recently written producers`, () =>
    withStore(
      async (h) => {
        for (let i = 1; i <= 8; i++) await appendAsync(h.store, [producer(`p${i}`, i * 10)]);
        await appendAsync(h.store, [producer('p2', 21)]);
        const state = await h.reopen();
        assert.deepEqual(
          state.producers.map((p) => p.producer),
          ['p6', 'p7', 'p8', 'p2'],
          'the 4 most recent, least recent first',
        );
        assert.equal(state.producers.at(-1)?.seq, 21);
      },
      { maxProducers: 4 },
    ));

  test(`store: ${name} refuses a malformed producer op with the whole batch`, () =>
    withStore(async (h) => {
      const bad = { op: 'producer', producer: 'p', seq: -1 } as StoreOp;
      await assert.rejects(appendAsync(h.store, [add(1, ['queue://a']), bad]), (e) => errorCode(e) === 'STORE_INVALID_BATCH');
      const state = await h.reopen();
      assert.deepEqual(ids(state), []);
    }));
}
