/**
 * Listener URIs in ActiveMQ transportConnector style: `stomp://0.0.0.0:61613?maximumConnections=1000`.
 * Parsed by hand rather than with WHATWG `URL` so every mistake gets its own message (bad port,
 * unknown scheme, unknown option), and unknown options are errors: ActiveMQ silently ignores a
 * typo such as `maximumConnection=10`, which is how limits quietly stop applying.
 */
import { DEFAULT_MAXIMUM_CONNECTIONS, DEFAULT_OPENWIRE_PORT, DEFAULT_SSL_PORT, DEFAULT_STOMP_PORT, DEFAULT_STOMP_SSL_PORT, DEFAULT_WS_PORT } from '../config/defaults.js';
import { MAX_BUFFER_SIZE, MAX_HEADER_LENGTH_LIMIT, openwireSchema } from '../config/schema.js';
import { formatSize, parseSize, type Problem } from '../config/schema-dsl.js';
import type { ListenerConfig, ListenerScheme, OpenWireConfig, StompConfig } from '../config/types.js';
import { decodeComponent, parseHost, unbracketedIpv6 } from '../util/uri-parts.js';

/** The config sections listener URIs take their defaults from. */
export interface ProtocolDefaults {
  readonly stomp: StompConfig;
  readonly openwire: OpenWireConfig;
}

/**
 * Scheme as written -> the listener it creates. `stomp+nio` and `nio` are ActiveMQ's NIO
 * connectors (the same protocol to a client); `tcp` is ActiveMQ's OpenWire connector.
 */
const SCHEMES: Readonly<Record<string, { scheme: ListenerScheme; defaultPort: number; tls?: true }>> = {
  tcp: { scheme: 'openwire', defaultPort: DEFAULT_OPENWIRE_PORT },
  nio: { scheme: 'openwire', defaultPort: DEFAULT_OPENWIRE_PORT },
  auto: { scheme: 'auto', defaultPort: DEFAULT_OPENWIRE_PORT },
  'auto+nio': { scheme: 'auto', defaultPort: DEFAULT_OPENWIRE_PORT },
  stomp: { scheme: 'stomp', defaultPort: DEFAULT_STOMP_PORT },
  'stomp+nio': { scheme: 'stomp', defaultPort: DEFAULT_STOMP_PORT },
  ws: { scheme: 'ws', defaultPort: DEFAULT_WS_PORT },
  // The same over TLS, with the `tls` section's certificate.
  ssl: { scheme: 'openwire', defaultPort: DEFAULT_SSL_PORT, tls: true },
  'nio+ssl': { scheme: 'openwire', defaultPort: DEFAULT_SSL_PORT, tls: true },
  'auto+ssl': { scheme: 'auto', defaultPort: DEFAULT_SSL_PORT, tls: true },
  'auto+nio+ssl': { scheme: 'auto', defaultPort: DEFAULT_SSL_PORT, tls: true },
  'stomp+ssl': { scheme: 'stomp', defaultPort: DEFAULT_STOMP_SSL_PORT, tls: true },
  'stomp+nio+ssl': { scheme: 'stomp', defaultPort: DEFAULT_STOMP_SSL_PORT, tls: true },
  wss: { scheme: 'ws', defaultPort: DEFAULT_WS_PORT, tls: true },
};

/** Schemes ActiveMQ users will try, with why FerryMQ refuses them today. */
const NOT_YET: Readonly<Record<string, string>> = {
  amqp: 'is not supported yet',
  'amqp+ssl': 'is not supported yet',
  mqtt: 'is not supported yet',
  'mqtt+ssl': 'is not supported yet',
};

/** TLS listeners only: client certificates (ActiveMQ's transportConnector options). */
const TLS_OPTIONS = ['needClientAuth', 'wantClientAuth'] as const;

/** Options every listener takes. */
const COMMON_OPTIONS = ['maximumConnections', 'wireFormat.maxFrameSize', 'wireFormat.maxDataLength'] as const;
const STOMP_OPTIONS = ['wireFormat.maxHeaders', 'wireFormat.maxHeaderLength'] as const;
/** ActiveMQ's OpenWireFormat options, named as in its URIs (including its InitalDelay spelling). */
const OPENWIRE_OPTIONS = [
  'wireFormat.maxInactivityDuration',
  'wireFormat.maxInactivityDurationInitalDelay',
  'wireFormat.tightEncodingEnabled',
  'wireFormat.cacheEnabled',
  'wireFormat.cacheSize',
  'wireFormat.stackTraceEnabled',
  'wireFormat.tcpNoDelayEnabled',
  'wireFormat.sizePrefixDisabled',
] as const;

function optionsFor(scheme: ListenerScheme): readonly string[] {
  switch (scheme) {
    case 'openwire':
      return [...COMMON_OPTIONS, ...OPENWIRE_OPTIONS];
    case 'auto':
      return [...COMMON_OPTIONS, ...STOMP_OPTIONS, ...OPENWIRE_OPTIONS];
    default:
      return [...COMMON_OPTIONS, ...STOMP_OPTIONS];
  }
}

/** Most connections one listener may allow: beyond this the process runs out of descriptors first. */
const MAXIMUM_CONNECTIONS_LIMIT = 1_000_000;
/** Same bound as the `stomp.maxHeaders` config key. */
const MAX_HEADERS_LIMIT = 100_000;

//                scheme                     host: [v6] or name       :port       /   ?query
const URI_PATTERN = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#[\]]*)(?::([^/?#]*))?(\/?)(?:\?([^#]*))?$/;

function expectedSchemes(): string {
  return Object.keys(SCHEMES).join(', ');
}

/**
 * Parse one listener URI; STOMP limits not given as `wireFormat.*` options come from `stompDefaults`.
 * Returns the listener, or the problem as text (callers add file, line and key path).
 */
export function parseListenerUri(uri: string, defaults: ProtocolDefaults): ListenerConfig | string {
  const authority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri.trim())?.[1] ?? '';
  const v6 = unbracketedIpv6(authority, DEFAULT_STOMP_PORT);
  if (v6 !== undefined) return v6;
  const match = URI_PATTERN.exec(uri.trim());
  if (!match) {
    const schemeOnly = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
    if (!schemeOnly) return `"${uri}" is not a listener URI (expected e.g. stomp://0.0.0.0:${DEFAULT_STOMP_PORT})`;
    return `"${uri}" is not a listener URI: expected ${schemeOnly[1]}://host:port[?options], with no path`;
  }
  const [, rawScheme = '', rawHost = '', rawPort, slash = '', query] = match;
  const schemeName = rawScheme.toLowerCase();
  const known = SCHEMES[schemeName];
  if (!known) {
    const why = NOT_YET[schemeName];
    if (why) return `scheme "${rawScheme}" ${why} (expected ${expectedSchemes()})`;
    return `unknown scheme "${rawScheme}" (expected ${expectedSchemes()})`;
  }
  void slash; // a single trailing "/" is harmless and common in copied ActiveMQ URIs

  const host = parseHost(rawHost, 'missing host (use 0.0.0.0 for every address, 127.0.0.1 for local only)');
  if (host.error !== undefined) return host.error;

  let port = known.defaultPort;
  if (rawPort !== undefined) {
    if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) > 65535) return `port "${rawPort}" is out of range (0..65535)`;
    port = Number(rawPort);
  }

  const limits: Limits = {
    clientAuth: { need: false, want: false },
    maximumConnections: DEFAULT_MAXIMUM_CONNECTIONS,
    maxFrameSize: defaults.stomp.maxFrameSize,
    maxHeaders: defaults.stomp.maxHeaders,
    maxHeaderLength: defaults.stomp.maxHeaderLength,
    openwire: { ...defaults.openwire },
  };
  const allowed = known.tls ? [...optionsFor(known.scheme), ...TLS_OPTIONS] : optionsFor(known.scheme);
  const optionError = applyOptions(query ?? '', allowed, limits);
  if (optionError !== undefined) return optionError;
  const { clientAuth, ...rest } = limits;
  const tls = known.tls ? { needClientAuth: clientAuth.need, wantClientAuth: clientAuth.want } : undefined;
  return tls ? { uri, scheme: known.scheme, host: host.value, port, ...rest, tls } : { uri, scheme: known.scheme, host: host.value, port, ...rest };
}

interface Limits {
  clientAuth: { need: boolean; want: boolean };
  maximumConnections: number;
  maxFrameSize: number;
  maxHeaders: number;
  maxHeaderLength: number;
  openwire: { -readonly [K in keyof OpenWireConfig]: OpenWireConfig[K] };
}

function applyOptions(query: string, allowed: readonly string[], limits: Limits): string | undefined {
  if (query === '') return undefined;
  const seen = new Set<string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (name === undefined || value === undefined) return `option "${pair}" has a malformed %-escape`;
    if (!allowed.includes(name)) {
      const near = allowed.find((o) => o.toLowerCase() === name.toLowerCase());
      const hint = near ? `did you mean "${near}"?` : `expected ${allowed.join(', ')}`;
      return `unknown option "${name}" (${hint})`;
    }
    // maxDataLength is ActiveMQ's name for the same limit as maxFrameSize.
    const canonical = name === 'wireFormat.maxDataLength' ? 'wireFormat.maxFrameSize' : name;
    if (seen.has(canonical)) return `option "${name}" given more than once`;
    seen.add(canonical);
    if (value === '') return `option "${name}" needs a value`;
    const error = applyOption(canonical, name, value, limits);
    if (error !== undefined) return error;
  }
  return undefined;
}

function applyOption(canonical: string, name: string, value: string, limits: Limits): string | undefined {
  if (canonical === 'needClientAuth' || canonical === 'wantClientAuth') {
    if (value !== 'true' && value !== 'false') return `option "${name}": expected true or false`;
    if (canonical === 'needClientAuth') limits.clientAuth.need = value === 'true';
    else limits.clientAuth.want = value === 'true';
    return undefined;
  }
  if (canonical.startsWith('wireFormat.') && (OPENWIRE_OPTIONS as readonly string[]).includes(canonical)) {
    return applyOpenWireOption(canonical.slice('wireFormat.'.length), name, value, limits.openwire);
  }
  switch (canonical) {
    case 'maximumConnections':
    case 'wireFormat.maxHeaders': {
      const max = canonical === 'maximumConnections' ? MAXIMUM_CONNECTIONS_LIMIT : MAX_HEADERS_LIMIT;
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(n >= 1 && n <= max)) return `option "${name}": "${value}" is not an integer in 1..${max}`;
      if (canonical === 'maximumConnections') limits.maximumConnections = n;
      else limits.maxHeaders = n;
      return undefined;
    }
    default: {
      // Sizes: ActiveMQ writes plain bytes (104857600); the config's `10mb` form works too.
      const max = canonical === 'wireFormat.maxFrameSize' ? MAX_BUFFER_SIZE : MAX_HEADER_LENGTH_LIMIT;
      const bytes = parseSize(value);
      if (bytes === undefined || bytes < 1 || bytes > max) {
        return `option "${name}": "${value}" is not a size in 1..${formatSize(max)} (e.g. 10485760 or 10mb)`;
      }
      // One frame limit for the listener, whichever protocol a connection speaks (auto://).
      if (canonical === 'wireFormat.maxFrameSize') limits.maxFrameSize = limits.openwire.maxFrameSize = bytes;
      else limits.maxHeaderLength = bytes;
      return undefined;
    }
  }
}

/**
 * OpenWire `wireFormat.*` options, validated by the `openwire` section's own schema fields so a
 * URI and the config file accept the same values. URI values are text: `true`/`false` and digits
 * are converted first.
 */
function applyOpenWireOption(key: string, name: string, value: string, openwire: Limits['openwire']): string | undefined {
  if (key === 'tcpNoDelayEnabled') return value === 'true' || value === 'false' ? undefined : `option "${name}": expected true or false`;
  if (key === 'sizePrefixDisabled') {
    return value === 'false' ? undefined : `option "${name}": only false is supported (every OpenWire client sends size prefixes by default)`;
  }
  const field = openwireSchema.fields?.[key];
  if (!field) return `option "${name}" is not supported`;
  const typed: unknown = value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) && field.typeName === 'integer' ? Number(value) : value;
  const problems: Problem[] = [];
  const checked = field.check(typed, name, { problems });
  if (checked === undefined || problems.length > 0) return `option "${name}": ${problems[0]?.problem ?? 'invalid value'}`;
  (openwire as Record<string, unknown>)[key] = checked;
  return undefined;
}
