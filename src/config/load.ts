/**
 * From YAML file (+ environment) or plain object to a validated FerryConfig. Every problem is
 * collected in one pass and reported as `<file>:<line>:<col>: <key.path>: <problem>`, one per line,
 * in a ConfigError (FerryError CONFIG_INVALID); a file that cannot be read or is not valid YAML
 * gives CONFIG_UNREADABLE.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ErrorCodes, FerryError, type ErrorCode } from '../errors.js';
import { parseListenerUri, type ProtocolDefaults } from '../transport/uri.js';
import { DEFAULT_LISTENER_URIS, ENV_BROKER_NAME, ENV_DATA_DIRECTORY, ENV_LOG_LEVEL, ENV_STORE_URL, ENV_TLS_PASSPHRASE } from './defaults.js';
import { loadTlsOptions, tlsConfigured } from '../transport/tls-context.js';
import { policiesSchema } from './policy-schema.js';
import { configSchema, openwireSchema, stompSchema } from './schema.js';
import type { Problem } from './schema-dsl.js';
import type { DestinationPolicy, FerryConfig, HaConfig, JournalConfig, LimitsConfig, ListenerConfig, OpenWireConfig, StompConfig, StoreConfig, TlsConfig } from './types.js';
import { locate, parseYaml, type Position } from './yaml-source.js';

/** A FerryError whose message is `problems` joined by newlines, each one self-contained. */
export class ConfigError extends FerryError {
  readonly problems: readonly string[];
  constructor(code: ErrorCode, problems: readonly string[], options?: { cause?: unknown }) {
    super(code, problems.join('\n'), options);
    this.problems = problems;
  }
}

/** Environment variables applied after the file, and the key each one sets. */
const ENV_OVERRIDES: ReadonlyArray<{ readonly name: string; readonly path: readonly [string, string] }> = [
  { name: ENV_DATA_DIRECTORY, path: ['broker', 'dataDirectory'] },
  { name: ENV_LOG_LEVEL, path: ['logging', 'level'] },
  { name: ENV_BROKER_NAME, path: ['broker', 'name'] },
  { name: ENV_STORE_URL, path: ['store', 'url'] },
  { name: ENV_TLS_PASSPHRASE, path: ['tls', 'passphrase'] },
];

/** Where a problem came from: a position in the file, or an environment variable (sorts last). */
type Locator = (path: string) => { readonly where: string; readonly line: number; readonly col: number };
const ELSEWHERE = Number.MAX_SAFE_INTEGER;

/** Load, validate and apply `env` overrides. Throws ConfigError. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): FerryConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ConfigError(ErrorCodes.CONFIG_UNREADABLE, [`${path}: cannot read config file (${reason})`], { cause });
  }
  const parsed = parseYaml(text);
  if (parsed.syntaxErrors.length > 0) {
    throw new ConfigError(ErrorCodes.CONFIG_UNREADABLE, parsed.syntaxErrors.map((e) => `${path}:${e}`));
  }
  const fromEnv = new Map<string, string>();
  const raw = applyEnv(parsed.value, env, fromEnv);
  const at: Locator = (p) => {
    const envName = fromEnv.get(p);
    if (envName !== undefined) return { where: `${envName} (environment)`, line: ELSEWHERE, col: 0 };
    const { line, col }: Position = locate(parsed.positions, p) ?? { line: 1, col: 1 };
    return { where: `${path}:${line}:${col}`, line, col };
  };
  return build(raw, path, at);
}

/** Validate a plain object shaped like the YAML file (sizes/durations may be strings). No env. */
export function configFromObject(obj: unknown, source?: string): FerryConfig {
  const where = source ?? 'config';
  return build(obj, source, () => ({ where, line: ELSEWHERE, col: 0 }));
}

/** Defaults plus the environment overrides: what `ferrymq start` runs without `--config`. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): FerryConfig {
  const fromEnv = new Map<string, string>();
  const raw = applyEnv(undefined, env, fromEnv);
  return build(raw, undefined, (p) => {
    const name = fromEnv.get(p);
    return { where: name === undefined ? 'defaults' : `${name} (environment)`, line: ELSEWHERE, col: 0 };
  });
}

function applyEnv(value: unknown, env: NodeJS.ProcessEnv, fromEnv: Map<string, string>): unknown {
  const present = ENV_OVERRIDES.filter((o) => (env[o.name] ?? '') !== '');
  if (present.length === 0) return value;
  if (value !== undefined && value !== null && !isRecord(value)) return value; // reported as a top-level error
  const root: Record<string, unknown> = { ...(value ?? {}) };
  for (const { name, path } of present) {
    const [section, key] = path;
    const current = root[section] ?? {};
    if (!isRecord(current)) continue; // the section's own type error is reported instead
    root[section] = { ...current, [key]: env[name] };
    fromEnv.set(`${section}.${key}`, name);
  }
  return root;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function build(raw: unknown, source: string | undefined, at: Locator): FerryConfig {
  const problems: Problem[] = [];
  const checked = configSchema.check(raw, '', { problems });
  // URIs are checked even when other sections failed, so one run reports every problem. Their
  // limits default from `stomp`; if that section is itself invalid, from the stomp defaults.
  const stomp = checked?.stomp ?? stompSchema.check(isRecord(raw) ? raw['stomp'] : undefined, 'stomp', { problems: [] });
  const openwire = checked?.openwire ?? openwireSchema.check(isRecord(raw) ? raw['openwire'] : undefined, 'openwire', { problems: [] });
  const defaults = { stomp: stomp ?? stompSchema.default, openwire: openwire ?? openwireSchema.default };
  const listeners = parseListeners(isRecord(raw) ? raw['listeners'] : undefined, defaults, problems);
  if (checked !== undefined) problems.push(...checkStoreAndHa(checked.store, checked.ha));
  // TLS files resolve against the config file's folder (`tls: { cert: certs/hub.pem }` next to it).
  const tls = checked ? resolveTlsPaths(checked.tls, source === undefined ? process.cwd() : dirname(resolve(source))) : undefined;
  if (tls !== undefined && listeners !== undefined) problems.push(...checkTls(tls, listeners));
  if (problems.length > 0 || checked === undefined || listeners === undefined) {
    // In file order, so the report reads top to bottom like the file (sort is stable).
    const located = problems.map((p) => ({ ...at(p.path), text: `${p.path || '(top level)'}: ${p.problem}` }));
    located.sort((a, b) => a.line - b.line || a.col - b.col);
    const lines = located.map((p) => `${p.where}: ${p.text}`);
    throw new ConfigError(ErrorCodes.CONFIG_INVALID, lines);
  }
  return {
    source,
    ...checked,
    // Like ActiveMQ's activemq.data: relative to the working directory at load time.
    broker: { ...checked.broker, dataDirectory: resolve(checked.broker.dataDirectory) },
    listeners,
    tls: tls ?? checked.tls,
  };
}

function resolveTlsPaths(tls: TlsConfig, base: string): TlsConfig {
  const at = (p: string): string => (p === '' ? '' : resolve(base, p));
  return { ...tls, cert: at(tls.cert), key: at(tls.key), ca: at(tls.ca), pfx: at(tls.pfx) };
}

/**
 * TLS listeners need an identity, `needClientAuth`/`wantClientAuth` need a CA, and the files must
 * be readable and fit together (checked by building a real secure context).
 */
export function checkTls(tls: TlsConfig, listeners: readonly ListenerConfig[]): Problem[] {
  const problems: Problem[] = [];
  const tlsListeners = listeners.map((l, i) => ({ l, i })).filter(({ l }) => l.tls !== undefined);
  if (tlsListeners.length === 0 && !tlsConfigured(tls)) return problems;
  for (const { l, i } of tlsListeners) {
    if ((l.tls?.needClientAuth || l.tls?.wantClientAuth) && tls.ca === '') {
      problems.push({ path: `listeners[${i}].uri`, problem: 'needClientAuth/wantClientAuth need tls.ca (the CA that signs client certificates)' });
    }
  }
  const loaded = loadTlsOptions(tls);
  if (Array.isArray(loaded)) problems.push(...loaded);
  return problems;
}

/** Listeners from the raw `listeners` list; undefined if any failed (problems pushed). */
function parseListeners(rawList: unknown, defaults: ProtocolDefaults, problems: Problem[]): ListenerConfig[] | undefined {
  if (rawList === undefined) return parseListeners(DEFAULT_LISTENER_URIS.map((uri) => ({ uri })), defaults, problems);
  if (!Array.isArray(rawList)) return undefined; // the schema reported it
  const listeners: ListenerConfig[] = [];
  rawList.forEach((item: unknown, i) => {
    const uri = isRecord(item) ? item['uri'] : undefined;
    if (typeof uri !== 'string' || uri.trim() === '') return; // the schema reported it
    const parsed = parseListenerUri(uri, defaults);
    if (typeof parsed === 'string') problems.push({ path: `listeners[${i}].uri`, problem: parsed });
    else listeners.push(parsed);
  });
  if (listeners.length !== rawList.length) return undefined;
  const clashes = findPortClashes(listeners);
  problems.push(...clashes);
  return clashes.length === 0 ? listeners : undefined;
}

/** URL schemes each SQL store type accepts. */
const SQL_SCHEMES: Readonly<Record<string, readonly string[]>> = {
  postgres: ['postgres:', 'postgresql:'],
  mysql: ['mysql:', 'mariadb:'],
};

/** Rules between keys: a SQL store needs its URL, a database lock needs a SQL store, timers must nest. */
export function checkStoreAndHa(store: StoreConfig, ha: HaConfig): Problem[] {
  const problems: Problem[] = [];
  const schemes = SQL_SCHEMES[store.type];
  if (schemes !== undefined) {
    if (store.url === '') problems.push({ path: 'store.url', problem: `store.type ${store.type} needs a url (or ${ENV_STORE_URL})` });
    else if (!schemes.some((p) => store.url.startsWith(p))) {
      problems.push({ path: 'store.url', problem: `store.type ${store.type} needs a ${schemes[0]}// URL` });
    }
  }
  if (ha.lock === 'database' && schemes === undefined) {
    problems.push({ path: 'ha.lock', problem: `a database lock needs store.type postgres or mysql (store.type is ${store.type})` });
  }
  if (ha.fenceMargin >= ha.lease) problems.push({ path: 'ha.fenceMargin', problem: `must be shorter than ha.lease (${ha.lease} ms)` });
  else if (ha.renewInterval * 2 > ha.lease - ha.fenceMargin) {
    problems.push({ path: 'ha.renewInterval', problem: `at most half of ha.lease - ha.fenceMargin (${Math.floor((ha.lease - ha.fenceMargin) / 2)} ms), so one failed renewal does not cost the lease` });
  }
  return problems;
}

const ANY_HOST = new Set(['0.0.0.0', '::']);

/** Two listeners on one fixed port whose hosts overlap would fail at bind time: say so now. */
function findPortClashes(listeners: readonly ListenerConfig[]): Problem[] {
  const problems: Problem[] = [];
  listeners.forEach((a, i) => {
    const clash = listeners.findIndex(
      (b, j) => j < i && b.port === a.port && a.port !== 0 && (a.host === b.host || ANY_HOST.has(a.host) || ANY_HOST.has(b.host)),
    );
    if (clash >= 0) problems.push({ path: `listeners[${i}].uri`, problem: `port ${a.port} is already used by listeners[${clash}]` });
  });
  return problems;
}

/** What embedders may override in `defaultConfig()`: values in final form (bytes, ms). */
export interface ConfigOverrides {
  readonly source?: string;
  readonly broker?: Partial<FerryConfig['broker']>;
  /** Each listener from its URI; explicit fields win over what the URI and `stomp` imply. */
  readonly listeners?: ReadonlyArray<{ readonly uri: string } & Partial<Omit<ListenerConfig, 'uri'>>>;
  readonly stomp?: Partial<StompConfig>;
  readonly openwire?: Partial<OpenWireConfig>;
  readonly tls?: Partial<TlsConfig>;
  readonly store?: Partial<Omit<StoreConfig, 'journal'>> & { readonly journal?: Partial<JournalConfig> };
  readonly ha?: Partial<HaConfig>;
  /** 0 (or leaving a key out) = `auto`. */
  readonly limits?: Partial<LimitsConfig>;
  /** Replaces the (empty) default list; validated like the file (bad patterns and values throw). */
  readonly policies?: readonly DestinationPolicy[];
  readonly destinations?: Partial<FerryConfig['destinations']>;
  readonly logging?: Partial<FerryConfig['logging']>;
}

/** All defaults (no file, no environment), with `overrides` merged per section. Throws ConfigError for a bad URI. */
export function defaultConfig(overrides: ConfigOverrides = {}): FerryConfig {
  const base = configFromObject({}, 'defaults');
  const stomp: StompConfig = { ...base.stomp, ...overrides.stomp };
  const openwire: OpenWireConfig = { ...base.openwire, ...overrides.openwire };
  let listeners: readonly ListenerConfig[] = base.listeners;
  if (overrides.listeners) {
    const problems: string[] = [];
    listeners = overrides.listeners.flatMap((l, i) => {
      const parsed = parseListenerUri(l.uri, { stomp, openwire });
      if (typeof parsed !== 'string') return [{ ...parsed, ...l }];
      problems.push(`defaultConfig: listeners[${i}].uri: ${parsed}`);
      return [];
    });
    if (problems.length > 0) throw new ConfigError(ErrorCodes.CONFIG_INVALID, problems);
  } else if (overrides.stomp || overrides.openwire) {
    listeners = base.listeners.map((l) => ({ ...l, ...pickLimits(stomp), openwire }));
  }
  const broker = { ...base.broker, ...overrides.broker };
  const policies = overrides.policies ? checkPolicies(overrides.policies) : base.policies;
  const store: StoreConfig = { ...base.store, ...overrides.store, journal: { ...base.store.journal, ...overrides.store?.journal } };
  const ha: HaConfig = { ...base.ha, ...overrides.ha };
  const tls: TlsConfig = resolveTlsPaths({ ...base.tls, ...overrides.tls }, process.cwd());
  const rules = [...checkStoreAndHa(store, ha), ...checkTls(tls, listeners)];
  if (rules.length > 0) throw new ConfigError(ErrorCodes.CONFIG_INVALID, rules.map((p) => `defaultConfig: ${p.path}: ${p.problem}`));
  return {
    source: overrides.source,
    broker: { ...broker, dataDirectory: resolve(broker.dataDirectory) },
    listeners,
    stomp,
    openwire,
    tls,
    store,
    ha,
    limits: { ...base.limits, ...overrides.limits },
    policies,
    destinations: { ...base.destinations, ...overrides.destinations },
    logging: { ...base.logging, ...overrides.logging },
  };
}

/**
 * Policies from code go through the schema too: a bad pattern would otherwise surface only when a
 * destination is created. Keys set to undefined count as absent (and are left out).
 */
function checkPolicies(policies: readonly DestinationPolicy[]): DestinationPolicy[] {
  const problems: Problem[] = [];
  const checked = policiesSchema.check(policies, 'policies', { problems });
  if (checked === undefined || problems.length > 0) {
    throw new ConfigError(ErrorCodes.CONFIG_INVALID, problems.map((p) => `defaultConfig: ${p.path}: ${p.problem}`));
  }
  return checked;
}

function pickLimits(stomp: StompConfig): Pick<ListenerConfig, 'maxFrameSize' | 'maxHeaders' | 'maxHeaderLength'> {
  return { maxFrameSize: stomp.maxFrameSize, maxHeaders: stomp.maxHeaders, maxHeaderLength: stomp.maxHeaderLength };
}
