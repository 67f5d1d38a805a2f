/**
 * A small schema language for the config file. One description of each key drives both validation
 * (with every problem collected, each tagged with its key path) and the generated reference table
 * in docs/configuration.md. Deliberately tiny: object, string, int, bool, enum, size, duration,
 * list; each leaf carries its default and a one-line description.
 */

/** One validation problem. `path` is `a.b[2].c` (empty for the top level). */
export interface Problem {
  readonly path: string;
  readonly problem: string;
}

export interface Context {
  readonly problems: Problem[];
}

/**
 * One schema node. `check` returns the validated value, or `undefined` after pushing a problem;
 * an `undefined` input means the key is absent and yields the default.
 */
export interface Field<T> {
  readonly kind: 'leaf' | 'list' | 'object';
  readonly description: string;
  /** Type column of the reference table. */
  readonly typeName: string;
  /** The default, already in its validated form. */
  readonly default: T;
  /** Default as written in the docs (e.g. `100mb`). */
  readonly defaultText: string;
  /** Children, for objects (reference rendering walks them). */
  readonly fields?: Shape;
  /** Element schema, for lists. */
  readonly item?: Field<unknown>;
  check(value: unknown, path: string, ctx: Context): T | undefined;
}

export type Shape = { readonly [key: string]: Field<unknown> };
export type Infer<S extends Shape> = { -readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** A converter's way to reject a value without throwing. */
class Invalid {
  constructor(readonly problem: string) {}
}

// --- size and duration syntax -------------------------------------------------------------------

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };
const DURATION_UNITS: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseWithUnits(value: unknown, units: Record<string, number>): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(value);
  if (!match) return undefined;
  const factor = units[(match[2] ?? '').toLowerCase()];
  if (factor === undefined) return undefined;
  const result = Number(match[1]) * factor;
  return Number.isSafeInteger(result) ? result : undefined;
}

/** `10485760`, `64kb`, `10mb`, `1gb` (1024-based, case-insensitive) -> bytes; undefined if malformed. */
export function parseSize(value: unknown): number | undefined {
  return parseWithUnits(value, SIZE_UNITS);
}

/** `500ms`, `5s`, `1m`, `2h`, or a plain number of milliseconds -> ms; undefined if malformed. */
export function parseDuration(value: unknown): number | undefined {
  return parseWithUnits(value, DURATION_UNITS);
}

/** Bytes as the shortest exact `kb`/`mb`/`gb` form, for docs and messages. */
export function formatSize(bytes: number): string {
  for (const unit of ['tb', 'gb', 'mb', 'kb'] as const) {
    const factor = SIZE_UNITS[unit] ?? 1;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const factor = DURATION_UNITS[unit] ?? 1;
    if (ms >= factor && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}

// --- builders -----------------------------------------------------------------------------------

/** What a value looks like, for "expected X, got Y" messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return String(value);
}

function leaf<T>(
  typeName: string,
  opts: { default: T; description: string; defaultText?: string; required?: boolean },
  convert: (value: unknown) => T | Invalid,
): Field<T> {
  return {
    kind: 'leaf',
    typeName,
    description: opts.description,
    default: opts.default,
    defaultText: opts.required ? '(required)' : (opts.defaultText ?? String(opts.default)),
    check(value, path, ctx) {
      if (value === undefined && opts.required) {
        ctx.problems.push({ path, problem: 'missing required key' });
        return undefined;
      }
      if (value === undefined) return opts.default;
      const result = convert(value);
      if (result instanceof Invalid) {
        ctx.problems.push({ path, problem: result.problem });
        return undefined;
      }
      return result;
    },
  };
}

export function string(opts: { default: string; description: string; typeName?: string; required?: boolean }): Field<string> {
  const typeName = opts.typeName ?? 'string';
  return leaf<string>(typeName, opts, (v) => {
    if (typeof v !== 'string') return new Invalid(`expected a ${typeName}, got ${describeValue(v)}`);
    if (v.trim() === '') return new Invalid('must not be empty');
    return v;
  });
}

export function int(opts: { default: number; description: string; min: number; max?: number }): Field<number> {
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return leaf<number>('integer', opts, (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return new Invalid(`expected an integer, got ${describeValue(v)}`);
    if (v < opts.min || v > max) return new Invalid(`${v} is out of range (${opts.min}..${max})`);
    return v;
  });
}

export function bool(opts: { default: boolean; description: string }): Field<boolean> {
  return leaf<boolean>('boolean', opts, (v) => (typeof v === 'boolean' ? v : new Invalid(`expected true or false, got ${describeValue(v)}`)));
}

export function oneOf<const V extends string>(
  values: readonly V[],
  opts: { default: NoInfer<V>; description: string },
): Field<V> {
  const list = values.join(', ');
  return leaf<V>(values.map((v) => `\`${v}\``).join(' \\| '), opts, (v) =>
    typeof v === 'string' && (values as readonly string[]).includes(v)
      ? (v as V)
      : new Invalid(`expected one of ${list}, got ${describeValue(v)}`),
  );
}

export function size(opts: { default: number; description: string; min: number; max?: number }): Field<number> {
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return leaf<number>('size', { ...opts, defaultText: formatSize(opts.default) }, (v) => {
    if ((typeof v === 'number' && v < 0) || (typeof v === 'string' && v.trim().startsWith('-'))) {
      return new Invalid(`sizes cannot be negative, got ${describeValue(v)}`);
    }
    const bytes = parseSize(v);
    if (bytes === undefined) return new Invalid(`expected a size like 65536, 64kb, 10mb or 1gb, got ${describeValue(v)}`);
    if (bytes < opts.min) return new Invalid(`${describeValue(v)} is too small (minimum ${formatSize(opts.min)})`);
    if (bytes > max) return new Invalid(`${describeValue(v)} is too large (maximum ${formatSize(max)})`);
    return bytes;
  });
}

export function duration(opts: { default: number; description: string; min?: number }): Field<number> {
  const min = opts.min ?? 0;
  return leaf<number>('duration', { ...opts, defaultText: formatDuration(opts.default) }, (v) => {
    const ms = parseDuration(v);
    if (ms === undefined) return new Invalid(`expected a duration like 500ms, 5s or 1m, got ${describeValue(v)}`);
    if (ms < min) return new Invalid(`${describeValue(v)} is too short (minimum ${formatDuration(min)})`);
    return ms;
  });
}

export function list<T>(
  item: Field<T>,
  opts: { default: T[]; description: string; defaultText: string; minItems?: number },
): Field<T[]> {
  return {
    kind: 'list',
    item,
    typeName: 'list',
    description: opts.description,
    default: opts.default,
    defaultText: opts.defaultText,
    check(value, path, ctx) {
      if (value === undefined) return opts.default;
      if (!Array.isArray(value)) {
        ctx.problems.push({ path, problem: `expected a list, got ${describeValue(value)}` });
        return undefined;
      }
      if (value.length < (opts.minItems ?? 0)) {
        ctx.problems.push({ path, problem: `needs at least ${opts.minItems} item(s)` });
        return undefined;
      }
      const out: T[] = [];
      let ok = true;
      value.forEach((element: unknown, i) => {
        const itemPath = `${path}[${i}]`;
        if (element === undefined || element === null) {
          ctx.problems.push({ path: itemPath, problem: 'empty list item' });
          ok = false;
          return;
        }
        const checked = item.check(element, itemPath, ctx);
        if (checked === undefined) ok = false;
        else out.push(checked as T);
      });
      return ok ? out : undefined;
    },
  };
}

export function object<S extends Shape>(fields: S, opts: { description: string }): Field<Infer<S>> {
  const defaults = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.default])) as Infer<S>;
  return {
    kind: 'object',
    fields,
    typeName: 'mapping',
    description: opts.description,
    default: defaults,
    defaultText: '',
    check(value, path, ctx) {
      // `stomp:` with nothing under it parses as null: treat it like an absent section.
      if (value === undefined || value === null) return defaults;
      if (typeof value !== 'object' || Array.isArray(value)) {
        ctx.problems.push({ path, problem: `expected a mapping, got ${describeValue(value)}` });
        return undefined;
      }
      const record = value as Record<string, unknown>;
      const known = Object.keys(fields);
      for (const key of Object.keys(record)) {
        if (!Object.hasOwn(fields, key)) {
          const problem = `unknown key "${key}" (expected ${known.join(', ')})`;
          ctx.problems.push({ path: path ? `${path}.${key}` : key, problem });
        }
      }
      const out: Record<string, unknown> = {};
      let ok = true;
      for (const [key, field] of Object.entries(fields)) {
        const checked = field.check(record[key], path ? `${path}.${key}` : key, ctx);
        if (checked === undefined) ok = false;
        out[key] = checked;
      }
      return ok ? (out as Infer<S>) : undefined;
    },
  };
}
