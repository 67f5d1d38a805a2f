/**
 * A small schema language for the config file. One description of each key drives both validation
 * (with every problem collected, each tagged with its key path) and the generated reference table
 * in docs/configuration.md. Deliberately tiny: object, string, int, decimal, bool, enum, size
 * (optionally `auto`), duration, list, and `optional()` for keys that have no default of their own;
 * each leaf carries its default and a one-line description.
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
 * an `undefined` input means the key is absent and yields the default. The one exception is an
 * `optional()` field: it returns `undefined` for an absent key without a problem, and `object()`
 * then leaves the key out of its result (so results merge key by key with spread).
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
  /** Set by `optional()`: absent is valid and stays absent. */
  readonly optional?: boolean;
  check(value: unknown, path: string, ctx: Context): T | undefined;
}

export type Shape = { readonly [key: string]: Field<unknown> };
/** A field wrapped by `optional()`. */
export type OptionalField<T> = Field<T | undefined> & { readonly optional: true };

type FieldValue<F> = F extends Field<infer T> ? T : never;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly optional: true } ? K : never }[keyof S];
/** The validated value of an object shape: `optional()` keys become `?:` properties. */
export type Infer<S extends Shape> = {
  -readonly [K in keyof S as K extends OptionalKeys<S> ? never : K]: FieldValue<S[K]>;
} & { -readonly [K in keyof S as K extends OptionalKeys<S> ? K : never]?: FieldValue<S[K]> };

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

/** `validate` returns a problem for a well-typed but unacceptable string, or undefined. */
export function string(opts: {
  default: string;
  description: string;
  typeName?: string;
  required?: boolean;
  /** '' is a value (meaning "not set") rather than a mistake. */
  allowEmpty?: boolean;
  validate?: (value: string) => string | undefined;
}): Field<string> {
  const typeName = opts.typeName ?? 'string';
  return leaf<string>(typeName, opts, (v) => {
    if (typeof v !== 'string') return new Invalid(`expected a ${typeName}, got ${describeValue(v)}`);
    if (v.trim() === '') return opts.allowEmpty ? v : new Invalid('must not be empty');
    const problem = opts.validate?.(v);
    return problem === undefined ? v : new Invalid(problem);
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

/** A number that may have decimals (YAML `1.5`); `.inf` and `.nan` are rejected. */
export function decimal(opts: { default: number; description: string; min: number; max?: number }): Field<number> {
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return leaf<number>('number', opts, (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return new Invalid(`expected a number, got ${describeValue(v)}`);
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

function convertSize(v: unknown, min: number, max: number): number | Invalid {
  if ((typeof v === 'number' && v < 0) || (typeof v === 'string' && v.trim().startsWith('-'))) {
    return new Invalid(`sizes cannot be negative, got ${describeValue(v)}`);
  }
  const bytes = parseSize(v);
  if (bytes === undefined) return new Invalid(`expected a size like 65536, 64kb, 10mb or 1gb, got ${describeValue(v)}`);
  if (bytes < min) return new Invalid(`${describeValue(v)} is too small (minimum ${formatSize(min)})`);
  if (bytes > max) return new Invalid(`${describeValue(v)} is too large (maximum ${formatSize(max)})`);
  return bytes;
}

export function size(opts: { default: number; description: string; min: number; max?: number }): Field<number> {
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return leaf<number>('size', { ...opts, defaultText: formatSize(opts.default) }, (v) => convertSize(v, opts.min, max));
}

/** The word that asks for a value derived from the machine; validated as AUTO_SIZE. */
export const AUTO = 'auto';
/** `auto` in the validated config: "derive at start" (a real limit is never 0). */
export const AUTO_SIZE = 0;

/** A size, or `auto` (-> AUTO_SIZE, 0). Defaults to `auto`; an explicit 0 is rejected as ambiguous. */
export function autoSize(opts: { description: string; min: number; max?: number }): Field<number> {
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const fieldOpts = { default: AUTO_SIZE, defaultText: AUTO, description: opts.description };
  return leaf<number>(`size or \`${AUTO}\``, fieldOpts, (v) => {
    if (typeof v === 'string' && v.trim().toLowerCase() === AUTO) return AUTO_SIZE;
    if (parseSize(v) === 0) return new Invalid(`0 is not a limit: write ${AUTO} to derive one from the machine`);
    return convertSize(v, opts.min, max);
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

/**
 * A key with no default of its own: absent stays absent (no problem, left out of the object), so
 * a later layer (another policy entry, a built-in default) can fill it. Shown as `(unset)`.
 */
export function optional<T>(field: Field<T>): OptionalField<T> {
  return {
    ...field,
    optional: true,
    default: undefined,
    defaultText: '(unset)',
    check: (value, path, ctx) => (value === undefined ? undefined : field.check(value, path, ctx)),
  };
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
  const required = Object.entries(fields).filter(([, f]) => !f.optional);
  const defaults = Object.fromEntries(required.map(([k, f]) => [k, f.default])) as Infer<S>;
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
        const before = ctx.problems.length;
        const checked = field.check(record[key], path ? `${path}.${key}` : key, ctx);
        // An optional key returns undefined both when absent (fine: leave it out) and when bad.
        if (checked === undefined) {
          if (!field.optional || ctx.problems.length > before) ok = false;
          continue;
        }
        out[key] = checked;
      }
      return ok ? (out as Infer<S>) : undefined;
    },
  };
}
