import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStore } from '../../src/store/index.js';
import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { add, appendAsync, runStoreConformance } from './conformance.js';

runStoreConformance('memory', (dir, s) => createStore({ type: 'memory', producerAudit: s.maxProducers }, dir), {
  persistent: false,
});

test('store: memory completes appends on a later tick, not synchronously', async () => {
  const store = new MemoryStore();
  await store.open();
  let called = false;
  store.append([add(1, ['queue://a'])], () => {
    called = true;
  });
  assert.equal(called, false);
  await appendAsync(store, []);
  assert.equal(called, true);
  assert.deepEqual(store.usage(), { bytes: 6, messages: 1 });
  await store.close();
});
