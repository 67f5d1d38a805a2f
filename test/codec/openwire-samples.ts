/**
 * Sample OpenWire commands for the codec tests, generated from the codec's own field table so
 * every structure and every field of every version is covered with non-default values. A seeded
 * PRNG picks values across each encoding's cases (null/ASCII/non-ASCII strings with NUL and lone
 * surrogates, longs of every tight size class and negative ones, empty and non-empty byte arrays)
 * and draws ids and destinations from small pools so the marshalling cache gets hits.
 */
import {
  ANY, ANY_DESTINATION, ANY_MESSAGE, ANY_TRANSACTION_ID, ARRAY, BOOL, BYTE, BYTES, CACHED, INT, LONG, NESTED,
  SHORT, STRING, THROWABLE, defaultValue, layoutOf, type FieldSpec,
} from '../../src/protocols/openwire/codec/schema.js';
import {
  DataType, type Command, type DataStructure, type OpenWireFormat, type WireThrowable,
} from '../../src/protocols/openwire/codec/index.js';

export type Rng = () => number;

export function rngFrom(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ['', 'ID:host-41231-1700000000000-1:1', 'queue.orders', 'héllo wörld', 'nul\u0000inside', 'snow ☃ and 😀', 'lone \ud800 half', 'x'.repeat(300)];
const LONGS = [0, 1, 65535, 65536, 4294967295, 4294967296, 1700000000123, -1, -2, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
const INTS = [0, 1, -1, 1000, 2147483647, -2147483648];

const ALL_COMMAND_TYPES = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 60, 61, 65, 90, 92];
const ANY_TYPES = [...ALL_COMMAND_TYPES, 40, 50, 52, 53, 54, 55, 91, 100, 101, 102, 103, 110, 111, 112, 120, 121, 122, 123, 124];

/** Every command type that exists in `version`. */
export function commandTypes(version: number): number[] {
  return ALL_COMMAND_TYPES.filter((t) => layoutOf(version, t) !== undefined);
}

export class SampleFactory {
  private readonly pools = new Map<number, DataStructure[]>();

  constructor(private readonly rng: Rng, private readonly format: OpenWireFormat) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)] as T;
  }

  private chance(p: number): boolean {
    return this.rng() < p;
  }

  /** One structure of `type` with every field the version carries set, the others at their defaults. */
  structure(type: number, depth = 0): DataStructure {
    const layout = layoutOf(this.format.version, type);
    if (layout === undefined) throw new Error(`no type ${type} in v${this.format.version}`);
    const o: Record<string, unknown> = { type };
    for (const f of layout.wire) o[f.name] = this.value(f, depth);
    for (const f of layout.absent) o[f.name] = defaultValue(f.kind);
    if (type >= 100 && type <= 103 && o.physicalName === null) o.physicalName = this.pick(STRINGS);
    return o as unknown as DataStructure;
  }

  command(type: number): Command {
    return this.structure(type) as Command;
  }

  private value(f: FieldSpec, depth: number): unknown {
    switch (f.kind) {
      case INT: return this.pick(INTS);
      case SHORT: return this.pick([0, 1, -1, 32767, -32768]);
      case BYTE: return this.pick([0, 4, -1, 127, -128]);
      case BOOL: return this.chance(0.5);
      case LONG: return this.pick(LONGS);
      case STRING: return this.chance(0.15) ? null : this.pick(STRINGS);
      case BYTES: return this.chance(0.15) ? null : Buffer.from(this.pick(['', 'payload', 'x'.repeat(1000)]));
      case CACHED: return this.chance(0.15) ? null : this.pooled(f.accepts, depth);
      case NESTED: return this.chance(0.15) || depth > 2 ? null : this.fresh(f.accepts, depth);
      case ARRAY: {
        if (this.chance(0.15) || depth > 2) return null;
        const n = Math.floor(this.rng() * 3);
        return Array.from({ length: n }, () => this.fresh(f.accepts, depth));
      }
      case THROWABLE: return this.chance(0.3) ? null : this.throwable(0);
      default: throw new Error(`kind ${f.kind}`);
    }
  }

  private concreteType(accept: number): number {
    switch (accept) {
      case ANY_DESTINATION: return this.pick([100, 101, 102, 103]);
      case ANY_TRANSACTION_ID: return this.pick([111, 112]);
      case ANY_MESSAGE: return this.pick([23, 24, 25, 26, 27, 28, 29]);
      case ANY: return this.pick(ANY_TYPES.filter((t) => layoutOf(this.format.version, t) !== undefined));
      default: return accept;
    }
  }

  private fresh(accept: number, depth: number): DataStructure {
    return this.structure(this.concreteType(accept), depth + 1);
  }

  /** Cached fields draw from a pool per type: repeats exercise cache hits, equal keys mean equal objects. */
  private pooled(accept: number, depth: number): DataStructure {
    const type = this.concreteType(accept);
    let pool = this.pools.get(type);
    if (pool === undefined) {
      pool = [];
      this.pools.set(type, pool);
    }
    if (pool.length < 3 || this.chance(0.2)) {
      const o = this.structure(type, Math.max(depth + 1, 2));
      // Identity-keyed structures (ANY) must not be shared: only value-keyed ids and destinations are pooled.
      if (type >= 100) pool.push(o);
      return o;
    }
    return this.pick(pool);
  }

  private throwable(depth: number): WireThrowable {
    const withTrace = this.format.stackTraceEnabled;
    return {
      className: this.pick(['java.lang.SecurityException', 'javax.jms.JMSException', 'weird\u0000name']),
      message: this.chance(0.2) ? null : this.pick(STRINGS),
      stackTrace: withTrace
        ? Array.from({ length: Math.floor(this.rng() * 3) }, () => ({
            className: this.chance(0.1) ? null : 'org.example.Thing',
            methodName: this.chance(0.1) ? null : 'doIt',
            fileName: this.chance(0.2) ? null : 'Thing.java',
            lineNumber: this.pick([-1, 0, 42, 65536]),
          }))
        : [],
      cause: withTrace && depth < 2 && this.chance(0.5) ? this.throwable(depth + 1) : null,
    };
  }
}

export const FORMATS: OpenWireFormat[] = [];
for (let version = 6; version <= 12; version++) {
  for (const tightEncoding of [true, false]) {
    for (const cacheEnabled of [true, false]) {
      FORMATS.push({ version, tightEncoding, cacheEnabled, cacheSize: 1024, stackTraceEnabled: cacheEnabled === tightEncoding, maxFrameSize: 1 << 24 });
    }
  }
}

export function formatName(f: OpenWireFormat): string {
  return `v${f.version} ${f.tightEncoding ? 'tight' : 'loose'} cache ${f.cacheEnabled ? 'on' : 'off'} stack traces ${f.stackTraceEnabled ? 'on' : 'off'}`;
}

/** Cuts a buffer at the given points (unsorted, repeated or out of range ones are folded in). */
export function splitAt(bytes: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const c of cuts) {
    chunks.push(bytes.subarray(last, c));
    last = c;
  }
  chunks.push(bytes.subarray(last));
  return chunks;
}

export { DataType };
