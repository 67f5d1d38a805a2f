/**
 * The marshalling cache, one per direction (OpenWireFormat's marshallCache / unmarshallCache).
 *
 * Fields marked cached (ids, destinations, transaction ids) are sent once with a slot index and
 * later as the index alone. The receiver only stores and looks up slots; the sender chooses them.
 * For our bytes to equal the Java client's, EncodeCache follows OpenWireFormat exactly:
 * - slots are assigned round-robin (nextMarshallCacheIndex), keyed by Java's equals() of the
 *   structure (cacheKey below), and null is a key like any other: a null cached field takes a slot
 *   too (HashMap allows a null key), so later nulls go out as an index;
 * - before every frame, runMarshallCacheEvictionSweep frees slots in the same round-robin order
 *   until at most size - MARSHAL_CACHE_FREE_SPACE entries remain; as in Java an evicted slot that
 *   holds null (never used, or a cached null) removes the null key;
 * - a full cache answers -1 (not cached).
 * Java's sweep never ends when the cache is at most 100 entries; ours stops when the map is empty.
 */
import { DecodeFailure } from './errors.js';
import type { DataStructure } from './types.js';

/** OpenWireFormat.MARSHAL_CACHE_SIZE (Short.MAX_VALUE / 2): the size a negotiated 0 means. */
export const MARSHAL_CACHE_SIZE = 16383;
/** OpenWireFormat.MARSHAL_CACHE_FREE_SPACE: slots kept free before each frame. */
const MARSHAL_CACHE_FREE_SPACE = 100;
/** Slot indexes are Java shorts. */
const MAX_CACHE_SIZE = 32767;

const NULL_KEY = Symbol('null');

function str(s: string | null): string {
  return s === null ? '!' : `=${s}`;
}

function hex(b: Uint8Array | null): string {
  return b === null ? '!' : Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/**
 * Keys already computed, per structure object: the same id or destination object is encoded again
 * and again (every message of a producer), and a remembered key string keeps its hash, so the
 * lookup costs one identity probe instead of building and hashing a string per field per frame.
 * This is why structures handed to the encoder must not be mutated afterwards.
 */
const keys = new WeakMap<object, unknown>();

/** A key equal for two structures exactly when Java's equals() says so (identity for classes that do not override it). */
export function cacheKey(o: DataStructure | null): unknown {
  if (o === null) return NULL_KEY;
  let key = keys.get(o);
  if (key === undefined) {
    key = computeKey(o);
    keys.set(o, key);
  }
  return key;
}

function computeKey(o: DataStructure): unknown {
  switch (o.type) {
    case 100: case 101: case 102: case 103: return `${o.type}|${o.physicalName}`;
    case 120: case 124: return `${o.type}|${str(o.value)}`;
    case 121: return `121|${o.value}|${str(o.connectionId)}`;
    case 122: case 123: return `${o.type}|${o.sessionId}|${o.value}|${str(o.connectionId)}`;
    case 111: return `111|${o.value}|${o.connectionId === null ? '-' : str(o.connectionId.value)}`;
    case 112: return `112|${o.formatId}|${hex(o.globalTransactionId)}|${hex(o.branchQualifier)}`;
    default: return o;
  }
}

export function effectiveCacheSize(size: number): number {
  return size <= 0 ? MARSHAL_CACHE_SIZE : Math.min(size, MAX_CACHE_SIZE);
}

export class EncodeCache {
  /** Slot -> key; undefined is Java's null slot (empty, or holding a cached null). */
  private readonly slots: unknown[];
  private readonly index = new Map<unknown, number>();
  private next = 0;
  private evict = 0;
  /** The null key's slot, also kept here: most cached fields of a message are null, and a field read beats a Map probe. */
  private nullSlot: number | undefined = undefined;

  constructor(size: number) {
    this.slots = new Array<unknown>(effectiveCacheSize(size)).fill(undefined);
  }

  sweep(): void {
    const limit = this.slots.length - MARSHAL_CACHE_FREE_SPACE;
    while (this.index.size > limit && this.index.size > 0) {
      const key = this.slots[this.evict];
      if (key === undefined) this.nullSlot = undefined;
      this.index.delete(key === undefined ? NULL_KEY : key);
      this.slots[this.evict] = undefined;
      if (++this.evict >= this.slots.length) this.evict = 0;
    }
  }

  lookup(key: unknown): number | undefined {
    return key === NULL_KEY ? this.nullSlot : this.index.get(key);
  }

  add(key: unknown): number {
    const i = this.next;
    if (++this.next >= this.slots.length) this.next = 0;
    if (this.index.size >= this.slots.length) return -1;
    if (key === NULL_KEY) {
      this.slots[i] = undefined;
      this.nullSlot = i;
    } else {
      this.slots[i] = key;
    }
    this.index.set(key, i);
    return i;
  }
}

export class DecodeCache {
  private readonly slots: (DataStructure | null)[];

  constructor(size: number) {
    this.slots = new Array<DataStructure | null>(effectiveCacheSize(size)).fill(null);
  }

  set(i: number, o: DataStructure | null): void {
    if (i === -1) return; // the sender's cache was full: not cached (OpenWireFormat.setInUnmarshallCache)
    if (i < 0 || i >= this.slots.length) throw new DecodeFailure('malformed', `cache index ${i} outside 0..${this.slots.length - 1}`);
    this.slots[i] = o;
  }

  /** An unset slot reads as null, as in Java (a cached null and an empty slot look the same). */
  get(i: number): DataStructure | null {
    if (i < 0 || i >= this.slots.length) throw new DecodeFailure('malformed', `cache index ${i} outside 0..${this.slots.length - 1}`);
    return this.slots[i] ?? null;
  }
}
