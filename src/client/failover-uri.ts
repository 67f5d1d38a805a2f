/**
 * Client URIs as ActiveMQ users write them: a plain `stomp://host:port` (or `tcp://`, which an
 * ActiveMQ user copies from an OpenWire URL; here it means STOMP over TCP), or a failover list
 * `failover:(stomp://a:61613,stomp://b:61613)?randomize=false&maxReconnectAttempts=-1`, also
 * written `failover://(...)` or `failover:uri1,uri2` without parentheses. The option names and
 * defaults are those of ActiveMQ's FailoverTransport.
 *
 * Pure: no I/O. Unknown options are errors (ActiveMQ ignores a typo such as `maxReconectAttempts`,
 * which is how a client silently stops reconnecting); the message names the option and the fix.
 */
import { DEFAULT_STOMP_PORT } from '../config/defaults.js';
import { ErrorCodes, FerryError } from '../errors.js';
import { decodeComponent, parseHost, unbracketedIpv6 } from '../util/uri-parts.js';

/** One broker to connect to. */
export interface BrokerAddress {
  /** `scheme://host:port` for logs and events, without credentials. */
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  readonly login?: string | undefined;
  readonly passcode?: string | undefined;
}

/** ActiveMQ FailoverTransport options (same names, same defaults). */
export interface FailoverOptions {
  /** Shuffle the broker list before each pass. */
  readonly randomize: boolean;
  /** Wait after the first failed pass, ms. */
  readonly initialReconnectDelay: number;
  /** Longest wait between passes, ms. */
  readonly maxReconnectDelay: number;
  /** Multiply the wait by backOffMultiplier after each failed pass. */
  readonly useExponentialBackOff: boolean;
  readonly backOffMultiplier: number;
  /** Passes over the list after a connection is lost; -1 = forever, 0 = do not reconnect. */
  readonly maxReconnectAttempts: number;
  /** Passes after the first failed one at startup; -1 = forever. */
  readonly startupMaxReconnectAttempts: number;
  /** How long an operation waits while disconnected before it fails, ms; -1 = forever. */
  readonly timeout: number;
}

export interface ClientUri {
  /** True for `failover:` URIs: lost connections are re-established. */
  readonly failover: boolean;
  readonly brokers: readonly BrokerAddress[];
  readonly options: FailoverOptions;
}

/** ActiveMQ's FailoverTransport defaults. */
export const DEFAULT_FAILOVER_OPTIONS: FailoverOptions = {
  randomize: true,
  initialReconnectDelay: 10,
  maxReconnectDelay: 30_000,
  useExponentialBackOff: true,
  backOffMultiplier: 2,
  maxReconnectAttempts: -1,
  startupMaxReconnectAttempts: -1,
  timeout: -1,
};

/** A plain URI connects once and never reconnects, as ActiveMQ's plain tcp:// transport. */
const PLAIN_OPTIONS: FailoverOptions = { ...DEFAULT_FAILOVER_OPTIONS, randomize: false, maxReconnectAttempts: 0, startupMaxReconnectAttempts: 0 };

/** setTimeout's largest delay: longer ones fire at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Schemes that mean STOMP over TCP. `tcp` and `nio` are OpenWire in ActiveMQ; users copy them. */
const STOMP_SCHEMES = new Set(['stomp', 'stomp+nio', 'tcp', 'nio']);
const NOT_YET: Readonly<Record<string, string>> = {
  ssl: 'TLS is not supported by the client yet',
  'stomp+ssl': 'TLS is not supported by the client yet',
  ws: 'WebSocket is not supported by the client (use stomp:// on port 61613)',
  wss: 'WebSocket is not supported by the client (use stomp:// on port 61613)',
};

const FAILOVER_OPTIONS = Object.keys(DEFAULT_FAILOVER_OPTIONS) as Array<keyof FailoverOptions>;
/** Options of one broker URI (and, as defaults for every broker, of the failover URI). */
const CREDENTIAL_OPTIONS = ['login', 'passcode'] as const;

/** ActiveMQ failover options FerryMQ's client does not have, with why. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  trackMessages: 'unconfirmed persistent sends are always tracked and resent',
  maxCacheSize: 'unconfirmed persistent sends are always tracked and resent',
  warnAfterReconnectAttempts: "listen to the client's 'reconnecting' event instead",
  backup: 'backup connections are not supported',
  backupPoolSize: 'backup connections are not supported',
  priorityBackup: 'priority brokers are not supported',
  priorityURIs: 'priority brokers are not supported',
  updateURIsSupported: 'brokers do not update the client URI list',
  updateURIsURL: 'brokers do not update the client URI list',
  rebalanceUpdateURIs: 'brokers do not update the client URI list',
  reconnectSupported: 'use a plain stomp:// URI for a client that does not reconnect',
};

//                       scheme          ://  user info@      host: [v6] or name  :port     /   ?query
const BROKER_PATTERN = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?(\[[^\]]*\]|[^/:?#[\]@]*)(?::([^/?#]*))?\/?(?:\?([^#]*))?$/;

function invalid(uri: string, problem: string): FerryError {
  return new FerryError(ErrorCodes.CLIENT_INVALID_URI, `invalid client URI "${redact(uri)}": ${problem}`);
}

/** The URI with passcodes and user-info passwords blanked, for messages and logs. */
export function redact(uri: string): string {
  return uri.replace(/(passcode=)[^&,)]*/gi, '$1***').replace(/(\/\/[^:/@?,()]*:)[^@/?,()]*@/g, '$1***@');
}

/**
 * Parses a client URI. Throws FerryError CLIENT_INVALID_URI naming the problem; never returns a
 * half-valid result.
 */
export function parseClientUri(text: string): ClientUri {
  const uri = text.trim();
  const parsed = /^failover:/i.test(uri) ? parseFailover(uri.slice('failover:'.length)) : parseSingle(uri, {});
  if (typeof parsed === 'string') throw invalid(text, parsed);
  if ('failover' in parsed) return parsed;
  return { failover: false, brokers: [parsed], options: PLAIN_OPTIONS };
}

function parseFailover(rest: string): ClientUri | string {
  const body = rest.startsWith('//') ? rest.slice(2) : rest;
  let list: string;
  let query = '';
  if (body.startsWith('(')) {
    const close = body.lastIndexOf(')');
    if (close < 0) return 'missing ")" after the broker list';
    list = body.slice(1, close);
    const after = body.slice(close + 1);
    if (after !== '' && !after.startsWith('?')) return `unexpected "${after}" after ")" (options go after "?")`;
    query = after.slice(1);
  } else {
    // Without parentheses a trailing "?..." belongs to the last broker URI, as in ActiveMQ.
    list = body;
  }
  const options: Record<string, number | boolean> = {};
  const defaults: Credentials = {};
  const problem = applyFailoverOptions(query, options, defaults);
  if (problem !== undefined) return problem;
  const parts = list.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.every((p) => p === '')) return 'the broker list is empty (expected e.g. failover:(stomp://a:61613,stomp://b:61613))';
  const brokers: BrokerAddress[] = [];
  for (const part of parts) {
    if (part === '') return 'empty entry in the broker list (two commas in a row?)';
    const b = parseSingle(part, defaults);
    if (typeof b === 'string') return b;
    brokers.push(b);
  }
  return { failover: true, brokers, options: { ...DEFAULT_FAILOVER_OPTIONS, ...options } };
}

interface Credentials {
  login?: string;
  passcode?: string;
}

function parseSingle(uri: string, defaults: Credentials): BrokerAddress | string {
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]*)/.exec(uri)?.[1] ?? '';
  const v6 = unbracketedIpv6(authority, DEFAULT_STOMP_PORT);
  if (v6 !== undefined) return v6;
  const m = BROKER_PATTERN.exec(uri);
  if (!m) return `"${redact(uri)}" is not a broker URI (expected stomp://host:port)`;
  const [, rawScheme = '', userInfo, rawHost = '', rawPort, query = ''] = m;
  const scheme = rawScheme.toLowerCase();
  if (!STOMP_SCHEMES.has(scheme)) {
    const why = NOT_YET[scheme];
    return `scheme "${rawScheme}" ${why ? `is not usable: ${why}` : 'is unknown (expected stomp://, tcp:// or failover:)'}`;
  }
  const host = parseHost(rawHost, `missing host in "${redact(uri)}"`);
  if (host.error !== undefined) return host.error;
  let port = DEFAULT_STOMP_PORT;
  if (rawPort !== undefined) {
    if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) < 1 || Number(rawPort) > 65535) return `port "${rawPort}" is out of range (1..65535)`;
    port = Number(rawPort);
  }
  const creds: Credentials = {};
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const login = decodeComponent(colon < 0 ? userInfo : userInfo.slice(0, colon));
    const rawPasscode = colon < 0 ? undefined : userInfo.slice(colon + 1);
    const passcode = rawPasscode === undefined ? undefined : decodeComponent(rawPasscode);
    if (login === undefined || (rawPasscode !== undefined && passcode === undefined)) return 'the user info has a malformed %-escape';
    creds.login = login;
    if (passcode !== undefined) creds.passcode = passcode;
  }
  for (const pair of splitQuery(query)) {
    if (typeof pair === 'string') return pair;
    const [name, value] = pair;
    if (!(CREDENTIAL_OPTIONS as readonly string[]).includes(name)) {
      return unknownOption(name, CREDENTIAL_OPTIONS, 'broker URI');
    }
    const key = name as keyof Credentials;
    if (creds[key] !== undefined) return `${name} is given twice (in the user info and as ?${name}=)`;
    creds[key] = value;
  }
  const shownHost = host.value.includes(':') ? `[${host.value}]` : host.value;
  return { uri: `${scheme}://${shownHost}:${port}`, host: host.value, port, login: creds.login ?? defaults.login, passcode: creds.passcode ?? defaults.passcode };
}

function applyFailoverOptions(query: string, options: Record<string, number | boolean>, defaults: Credentials): string | undefined {
  for (const pair of splitQuery(query)) {
    if (typeof pair === 'string') return pair;
    const [name, value] = pair;
    if ((CREDENTIAL_OPTIONS as readonly string[]).includes(name)) {
      defaults[name as keyof Credentials] = value;
      continue;
    }
    if (!(FAILOVER_OPTIONS as readonly string[]).includes(name)) {
      return unknownOption(name, [...FAILOVER_OPTIONS, ...CREDENTIAL_OPTIONS], 'failover option');
    }
    if (name in options) return `option "${name}" is given more than once`;
    const v = optionValue(name as keyof FailoverOptions, value);
    if (typeof v === 'string') return v;
    options[name] = v.value;
  }
  return undefined;
}

function optionValue(name: keyof FailoverOptions, value: string): { value: number | boolean } | string {
  switch (name) {
    case 'randomize':
    case 'useExponentialBackOff': {
      const v = value.toLowerCase();
      if (v !== 'true' && v !== 'false') return `option "${name}": "${value}" is not true or false`;
      return { value: v === 'true' };
    }
    case 'backOffMultiplier': {
      const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
      if (!(n >= 1 && n <= 1000)) return `option "${name}": "${value}" is not a number in 1..1000`;
      return { value: n };
    }
    case 'initialReconnectDelay':
    case 'maxReconnectDelay': {
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(n >= 0 && n <= MAX_DELAY_MS)) return `option "${name}": "${value}" is not a delay in ms (0..${MAX_DELAY_MS})`;
      return { value: n };
    }
    case 'timeout': {
      const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
      if (!(n === -1 || (n >= 1 && n <= MAX_DELAY_MS))) return `option "timeout": "${value}" is not -1 (wait forever) or a time in ms (1..${MAX_DELAY_MS})`;
      return { value: n };
    }
    default: {
      const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
      if (!(Number.isSafeInteger(n) && n >= -1)) return `option "${name}": "${value}" is not -1 (forever) or a count (0, 1, 2 ...)`;
      return { value: n };
    }
  }
}

function unknownOption(name: string, known: readonly string[], what: string): string {
  const why = UNSUPPORTED[name];
  if (why !== undefined) return `the ActiveMQ option "${name}" is not supported: ${why}`;
  if (FAILOVER_OPTIONS.includes(name as keyof FailoverOptions)) {
    return `"${name}" is a failover option: write failover:(stomp://host:port)?${name}=...`;
  }
  const near = known.find((o) => o.toLowerCase() === name.toLowerCase());
  return `unknown ${what} "${name}" (${near ? `did you mean "${near}"?` : `expected ${known.join(', ')}`})`;
}

/** `a=1&b=2` as decoded pairs; a string for the first malformed pair. */
function splitQuery(query: string): Array<[string, string] | string> {
  const out: Array<[string, string] | string> = [];
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (name === undefined || value === undefined) {
      out.push(`option "${redact(pair)}" has a malformed %-escape`);
      break;
    }
    if (eq < 0) {
      out.push(`option "${name}" needs a value (${name}=...)`);
      break;
    }
    out.push([name, value]);
  }
  return out;
}
