/**
 * The FerryMQ config file schema: the one place a key, its type, default and meaning are written.
 * load.ts validates with it; `renderConfigReference()` turns it into the reference table committed
 * in docs/configuration.md (a test keeps the two identical).
 */
import * as D from './defaults.js';
import { policiesSchema } from './policy-schema.js';
import { autoSize, bool, decimal, duration, int, list, object, oneOf, size, string, type Field, type Shape } from './schema-dsl.js';

const KB = 1024;
const MB = 1024 * KB;
/** Largest frame or segment accepted: one Buffer of it must fit in memory (Node's Buffer limit). */
export const MAX_BUFFER_SIZE = 2 * 1024 * MB;
/** A header line longer than this is an attack or a bug, not a message property. */
export const MAX_HEADER_LENGTH_LIMIT = 16 * MB;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The `stomp` section on its own: listener URIs default their limits from it. */
export const stompSchema = object(
  {
    maxFrameSize: size({
      default: D.DEFAULT_MAX_FRAME_SIZE,
      min: 1 * KB,
      max: MAX_BUFFER_SIZE,
      description: 'Largest frame (headers + body) accepted; larger frames close the connection with an ERROR.',
    }),
    maxHeaders: int({ default: D.DEFAULT_MAX_HEADERS, min: 1, max: 100_000, description: 'Most headers in one frame.' }),
    maxHeaderLength: size({
      default: D.DEFAULT_MAX_HEADER_LENGTH,
      min: 64,
      max: MAX_HEADER_LENGTH_LIMIT,
      description: 'Longest single header line.',
    }),
    heartbeatMinimum: duration({
      default: D.DEFAULT_HEARTBEAT_MINIMUM,
      min: 1,
      description:
        'Heart-beats follow the client: for CONNECT `heart-beat: cx,cy` the broker sends every max(cy, this) and expects the client every max(cx, this); 0 in the header means none that way.',
    }),
    heartbeatGraceFactor: decimal({
      default: D.DEFAULT_HEARTBEAT_GRACE_FACTOR,
      min: 1,
      max: 10,
      description: 'A client silent for its heart-beat interval times this factor is disconnected.',
    }),
    connectTimeout: duration({
      default: D.DEFAULT_CONNECT_TIMEOUT,
      min: 100,
      description: 'Time a new connection has to send CONNECT/STOMP before it is closed.',
    }),
    producerWindow: size({
      default: D.DEFAULT_PRODUCER_WINDOW,
      min: 1 * KB,
      max: MAX_BUFFER_SIZE,
      description: 'Bytes of SENDs one connection may have in flight (not yet stored); past it the broker stops reading that connection until they complete.',
    }),
  },
  { description: 'STOMP protocol limits and timers (listener URIs may override the limits).' },
);

/** The `openwire` section on its own: OpenWire listener URIs default their settings from it. */
export const openwireSchema = object(
  {
    maxFrameSize: size({
      default: D.DEFAULT_OPENWIRE_MAX_FRAME_SIZE,
      min: 1 * KB,
      max: MAX_BUFFER_SIZE,
      description: 'Largest OpenWire frame accepted; a larger one closes that connection with a ConnectionError (URI: `wireFormat.maxFrameSize`).',
    }),
    maxInactivityDuration: duration({
      default: D.DEFAULT_OPENWIRE_MAX_INACTIVITY,
      min: 0,
      description: 'A client silent this long is dropped; the broker sends KeepAliveInfo meanwhile. The smaller of the client\'s and this is used; 0 turns it off.',
    }),
    maxInactivityDurationInitalDelay: duration({
      default: D.DEFAULT_OPENWIRE_INACTIVITY_DELAY,
      min: 0,
      description: 'Inactivity checks start this long after a connection opens (ActiveMQ\'s spelling of the key).',
    }),
    tightEncodingEnabled: bool({ default: true, description: 'Offer tight encoding (used only if the client wants it too).' }),
    cacheEnabled: bool({ default: true, description: 'Offer the marshalling cache (used only if the client wants it too).' }),
    cacheSize: int({ default: D.DEFAULT_OPENWIRE_CACHE_SIZE, min: 1, max: 32767, description: 'Marshalling cache entries offered; the smaller of both sides is used.' }),
    stackTraceEnabled: bool({ default: true, description: 'Offer stack traces in exceptions (a client\'s poison-ack causes keep theirs); the broker never sends its own stack.' }),
    connectTimeout: duration({
      default: D.DEFAULT_CONNECT_TIMEOUT,
      min: 100,
      description: 'Time a new connection has to send WireFormatInfo and ConnectionInfo before it is closed.',
    }),
    producerWindow: size({
      default: D.DEFAULT_PRODUCER_WINDOW,
      min: 1 * KB,
      max: MAX_BUFFER_SIZE,
      description: 'Bytes of messages one connection may have in flight (not yet stored); past it the broker stops reading that connection until they complete.',
    }),
  },
  { description: 'OpenWire (ActiveMQ JMS, NMS and CMS clients) settings; listener URIs may override them with `wireFormat.*` options.' },
);

/** The `tls` section: the broker's certificate for every TLS listener. */
export const tlsSchema = object(
  {
    cert: string({ default: '', typeName: 'path', allowEmpty: true, description: 'PEM certificate (chain) of this broker, e.g. from `ferrymq tls issue`. Relative paths resolve against the config file\'s folder.' }),
    key: string({ default: '', typeName: 'path', allowEmpty: true, description: 'PEM private key of `cert`.' }),
    ca: string({ default: '', typeName: 'path', allowEmpty: true, description: 'PEM CA certificate(s) that client certificates must be signed by (`needClientAuth`, `wantClientAuth`).' }),
    pfx: string({ default: '', typeName: 'path', allowEmpty: true, description: 'PKCS#12 file instead of `cert` and `key`.' }),
    passphrase: string({ default: '', allowEmpty: true, description: `Passphrase of an encrypted \`key\` or \`pfx\`; ${D.ENV_TLS_PASSPHRASE} overrides it (keeps it out of the file).` }),
    minVersion: oneOf(['TLSv1.2', 'TLSv1.3'], { default: 'TLSv1.2', description: 'Oldest TLS version accepted.' }),
    ciphers: string({ default: '', allowEmpty: true, description: 'OpenSSL cipher list for TLS 1.2 (empty: Node\'s default).' }),
    reloadInterval: duration({ default: D.DEFAULT_TLS_RELOAD_INTERVAL, min: 0, description: 'How often the files are checked; changed certificates apply to new connections without a restart. 0 turns it off.' }),
  },
  { description: 'TLS for `ssl://`, `stomp+ssl://`, `wss://` and `auto+ssl://` listeners (see docs/tls.md).' },
);

const listenerSchema = object(
  {
    uri: string({
      default: '',
      required: true,
      typeName: 'URI',
      description: 'ActiveMQ transportConnector-style URI, see "Listener URIs".',
    }),
  },
  { description: 'One listener.' },
);

export const configSchema = object(
  {
    broker: object(
      {
        name: string({
          default: D.DEFAULT_BROKER_NAME,
          description: 'Broker name, shown in logs and to clients (ActiveMQ brokerName).',
        }),
        dataDirectory: string({
          default: D.DEFAULT_DATA_DIRECTORY,
          typeName: 'path',
          description: 'Journal, log file and pid file live here. Relative paths resolve against the working directory.',
        }),
      },
      { description: 'Broker identity and data location.' },
    ),
    listeners: list(listenerSchema, {
      default: D.DEFAULT_LISTENER_URIS.map((uri) => ({ uri })),
      defaultText: D.DEFAULT_LISTENER_URIS.map((u) => `\`${u}\``).join(', '),
      description: 'Sockets to accept clients on, each `{ uri }`. An empty list starts no listener (embedding).',
    }),
    stomp: stompSchema,
    openwire: openwireSchema,
    tls: tlsSchema,
    store: object(
      {
        type: oneOf(['journal', 'memory', 'postgres', 'mysql'], {
          default: D.DEFAULT_STORE_TYPE,
          description:
            '`journal`: durable append-only files under dataDirectory; `postgres`, `mysql` (MariaDB or MySQL): tables in a database, see `url`; `memory`: nothing survives a restart.',
        }),
        journal: object(
          {
            segmentSize: size({
              default: D.DEFAULT_JOURNAL_SEGMENT_SIZE,
              min: 64 * KB,
              max: MAX_BUFFER_SIZE,
              description: 'Journal segment file size; a segment is deleted once all its messages are acknowledged.',
            }),
            sync: bool({
              default: D.DEFAULT_JOURNAL_SYNC,
              description: 'fdatasync each group commit. Turn off only for tests or throw-away data.',
            }),
          },
          { description: 'Journal store settings.' },
        ),
        url: string({
          default: '',
          typeName: 'URL',
          validate: validateStoreUrl,
          description: `SQL stores: \`postgres://USER:PASSWORD@HOST:5432/DB\` or \`mysql://USER:PASSWORD@HOST:3306/DB\`. Required for \`postgres\` and \`mysql\`; ${D.ENV_STORE_URL} overrides it (keeps the password out of the file).`,
        }),
        pool: int({ default: D.DEFAULT_SQL_POOL, min: 2, max: 1000, description: 'SQL stores: database connections (one writes, the others read message data back).' }),
        tablePrefix: string({
          default: D.DEFAULT_SQL_TABLE_PREFIX,
          validate: (v) => (/^[A-Za-z_][A-Za-z0-9_]{0,30}$/.test(v) ? undefined : 'letters, digits and _ only (at most 31), not starting with a digit'),
          description: 'SQL stores: prefix of every table FerryMQ creates (like ActiveMQ JDBC `tablePrefix`).',
        }),
        producerAudit: int({
          default: D.DEFAULT_PRODUCER_AUDIT,
          min: 0,
          max: 10_000_000,
          description:
            'Producers whose last persistent sequence number is remembered, across restarts and failover, so a resent message is not stored twice (see docs/ha.md); 0 turns the audit off.',
        }),
      },
      { description: 'Message store.' },
    ),
    ha: object(
      {
        lock: oneOf(['auto', 'file', 'database', 'none'], {
          default: D.DEFAULT_HA_LOCK,
          description:
            '`file`: a lease file in dataDirectory (shared directory master/slave); `database`: a lock row in the SQL store\'s database; `auto`: `database` for SQL stores, `file` for the journal, `none` for memory; `none`: no standby, a second broker on the same store stops with an error.',
        }),
        lease: duration({
          default: D.DEFAULT_HA_LEASE,
          min: 500,
          description: 'A standby takes over once the master has not renewed its lease for this long (a hung master or lost host).',
        }),
        renewInterval: duration({ default: D.DEFAULT_HA_RENEW_INTERVAL, min: 50, description: 'How often the master renews its lease.' }),
        fenceMargin: duration({
          default: D.DEFAULT_HA_FENCE_MARGIN,
          min: 50,
          description: 'The master stops writing and closes its listeners this long before its lease could expire.',
        }),
        retryInterval: duration({ default: D.DEFAULT_HA_RETRY_INTERVAL, min: 10, description: 'How often a standby checks whether it can take the lock.' }),
      },
      { description: 'Master/slave high availability, see docs/ha.md.' },
    ),
    limits: object(
      {
        memory: autoSize({
          min: D.MIN_EXPLICIT_LIMIT,
          description:
            'Message data held in RAM, broker-wide. Over it, messages page out (persistent) or spill to temp (non-persistent); none are dropped. `auto`: a tenth of RAM within 64mb..1gb.',
        }),
        store: autoSize({
          min: D.MIN_EXPLICIT_LIMIT,
          description:
            'Disk for persistent messages (the journal). Over it, persistent producers wait or fail (see `sendFailIfNoSpace`). `auto`: 90% of free disk, at most 100gb.',
        }),
        temp: autoSize({
          min: D.MIN_EXPLICIT_LIMIT,
          description:
            'Disk for spilled non-persistent messages. Over it, non-persistent producers wait or fail. `auto`: 50% of free disk, at most 50gb.',
        }),
      },
      { description: 'Resource limits, see "Limits".' },
    ),
    destinations: object(
      {
        queuePrefetch: int({
          default: D.DEFAULT_QUEUE_PREFETCH,
          min: 0,
          max: 1_000_000,
          description: 'Default prefetch of queue subscriptions (STOMP `activemq.prefetchSize` overrides).',
        }),
        topicPrefetch: int({
          default: D.DEFAULT_TOPIC_PREFETCH,
          min: 0,
          max: 1_000_000,
          description: 'Default prefetch of topic subscriptions.',
        }),
      },
      { description: 'Destination defaults.' },
    ),
    policies: policiesSchema,
    logging: object(
      {
        level: oneOf(LOG_LEVELS, { default: D.DEFAULT_LOG_LEVEL, description: 'Least severe level written.' }),
        file: bool({
          default: D.DEFAULT_LOG_FILE,
          description: `Also write JSON lines to \`<dataDirectory>/${D.LOG_FILE_NAME}\`.`,
        }),
        stdout: bool({ default: D.DEFAULT_LOG_STDOUT, description: 'Write JSON lines to stdout.' }),
      },
      { description: 'Logging (pino JSON lines).' },
    ),
  },
  { description: 'FerryMQ configuration.' },
);

/** `postgres://` (or `postgresql://`) and `mysql://` (or `mariadb://`) URLs with a host. */
function validateStoreUrl(v: string): string | undefined {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'not a URL; expected postgres://USER:PASSWORD@HOST:5432/DB or mysql://USER:PASSWORD@HOST:3306/DB';
  }
  if (!['postgres:', 'postgresql:', 'mysql:', 'mariadb:'].includes(u.protocol)) return `unsupported scheme ${u.protocol}// (expected postgres:// or mysql://)`;
  if (u.hostname === '') return 'the URL names no host';
  if (u.pathname.length <= 1) return 'the URL names no database (…/DB)';
  return undefined;
}

/** Code-quote a default unless it is empty, already quoted or a note like `(required)` / `(unset)`. */
function formatDefault(text: string): string {
  return text === '' || text.startsWith('`') || text.startsWith('(') ? text : `\`${text}\``;
}

/** The reference table of docs/configuration.md, generated from the schema (one row per leaf). */
export function renderConfigReference(): string {
  const rows: string[] = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  const visit = (field: Field<unknown>, path: string): void => {
    if (field.kind === 'object' && field.fields) {
      for (const [key, child] of Object.entries(field.fields as Shape)) visit(child, path ? `${path}.${key}` : key);
      return;
    }
    rows.push(`| \`${path}\` | ${field.typeName} | ${formatDefault(field.defaultText)} | ${field.description} |`);
    if (field.kind === 'list' && field.item?.fields) {
      for (const [key, child] of Object.entries(field.item.fields)) {
        rows.push(`| \`${path}[].${key}\` | ${child.typeName} | ${formatDefault(child.defaultText)} | ${child.description} |`);
      }
    }
  };
  visit(configSchema, '');
  return rows.join('\n') + '\n';
}
