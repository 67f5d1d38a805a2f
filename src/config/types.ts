/**
 * The validated configuration as the rest of the broker sees it: every default applied, sizes in
 * bytes, durations in milliseconds. Produced by config/load.ts from YAML (+ env), or built in code
 * by embedders via `defaultConfig()` and spread overrides.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ListenerConfig {
  /** The ActiveMQ-style URI as written, e.g. `stomp://0.0.0.0:61613?maximumConnections=1000`. */
  readonly uri: string;
  /**
   * `stomp` (TCP), `ws` (STOMP over WebSocket), `openwire` (ActiveMQ's `tcp://` and `nio://`) or
   * `auto` (OpenWire or STOMP, told apart by the first bytes, as ActiveMQ's `auto://`).
   */
  readonly scheme: ListenerScheme;
  /** Host to bind. `0.0.0.0` and `::` mean every address, IPv4 and IPv6. */
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Max concurrent connections on this listener. */
  readonly maximumConnections: number;
  /** STOMP frame limits for this listener (URI `wireFormat.*` options override `stomp.*`). */
  readonly maxFrameSize: number;
  readonly maxHeaders: number;
  readonly maxHeaderLength: number;
  /** OpenWire settings for this listener (`openwire` and `auto`): the `openwire` section with URI `wireFormat.*` overrides. */
  readonly openwire: OpenWireConfig;
  /** TLS listener (`ssl://`, `stomp+ssl://`, `wss://`, `auto+ssl://`): certificates from the `tls` section. */
  readonly tls?: ListenerTls | undefined;
}

/** Per-listener TLS options (URI `needClientAuth=true`, `wantClientAuth=true`). */
export interface ListenerTls {
  /** Refuse clients without a certificate signed by `tls.ca`. */
  readonly needClientAuth: boolean;
  /** Ask for a client certificate, accept clients without one. */
  readonly wantClientAuth: boolean;
}

/** The `tls` section: one identity for every TLS listener. Paths resolve against the config file's folder. */
export interface TlsConfig {
  /** PEM certificate chain ('' when not set). */
  readonly cert: string;
  /** PEM private key ('' when not set). */
  readonly key: string;
  /** PEM CA certificates trusted for client certificates ('' = none). */
  readonly ca: string;
  /** PKCS#12 file instead of cert + key ('' when not set). */
  readonly pfx: string;
  /** Passphrase of an encrypted key or PKCS#12 file ('' = none). */
  readonly passphrase: string;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list ('' = Node's default). */
  readonly ciphers: string;
  /** How often the files are checked for changes (reloaded without a restart); 0 = never. */
  readonly reloadInterval: number;
}

export type ListenerScheme = 'stomp' | 'ws' | 'openwire' | 'auto';

/** OpenWire (ActiveMQ's Java/NMS/CMS protocol) defaults; listener URIs override per listener. */
export interface OpenWireConfig {
  /** Largest frame accepted, bytes (ActiveMQ `wireFormat.maxFrameSize`). */
  readonly maxFrameSize: number;
  /** A peer silent this long is dropped; we send KeepAliveInfo at a third of it; 0 = never (ms). */
  readonly maxInactivityDuration: number;
  /** Inactivity checks start this long after the connection opens (ms). */
  readonly maxInactivityDurationInitalDelay: number;
  /** Offer tight encoding (used when the client wants it too). */
  readonly tightEncodingEnabled: boolean;
  /** Offer the marshalling cache (used when the client wants it too). */
  readonly cacheEnabled: boolean;
  /** Marshalling cache entries offered (the smaller of both sides is used). */
  readonly cacheSize: number;
  /** Send stack traces in exceptions (the broker's own, never anything from the wire). */
  readonly stackTraceEnabled: boolean;
  /** Time a new connection has to send WireFormatInfo and ConnectionInfo, ms. */
  readonly connectTimeout: number;
  /** Bytes of messages one connection may have in flight (not yet stored) before the broker stops reading it. */
  readonly producerWindow: number;
}

export interface StompConfig {
  /** Largest frame (headers + body) accepted, bytes. */
  readonly maxFrameSize: number;
  /** Most headers in one frame. */
  readonly maxHeaders: number;
  /** Longest single header line, bytes. */
  readonly maxHeaderLength: number;
  /**
   * Heart-beats follow the client's CONNECT `heart-beat: cx,cy`: the broker sends every
   * max(cy, heartbeatMinimum) ms and expects the client every max(cx, heartbeatMinimum) ms.
   * This floor keeps a client from asking for a heart-beat every millisecond.
   */
  readonly heartbeatMinimum: number;
  /** A client silent for its heart-beat interval times this factor is dropped. */
  readonly heartbeatGraceFactor: number;
  /** Time a new connection has to send CONNECT, ms. */
  readonly connectTimeout: number;
  /**
   * Bytes of SENDs one connection may have in flight (not yet stored or accepted); past it the
   * broker stops reading that connection until they complete (producer flow control).
   */
  readonly producerWindow: number;
}

export interface JournalConfig {
  /** Segment file size; a segment is reclaimed once all its records are acknowledged. */
  readonly segmentSize: number;
  /** fdatasync each group commit. Off only for tests or throw-away data. */
  readonly sync: boolean;
}

export type StoreType = 'journal' | 'memory' | 'postgres' | 'mysql';

export interface StoreConfig {
  readonly type: StoreType;
  readonly journal: JournalConfig;
  /** SQL stores: `postgres://user:pass@host:5432/db` or `mysql://user:pass@host:3306/db` ('' otherwise). */
  readonly url: string;
  /** SQL stores: connections in the pool (one writes, the rest read message data back). */
  readonly pool: number;
  /** SQL stores: prefix of every table name (ActiveMQ's JDBC `tablePrefix`). */
  readonly tablePrefix: string;
  /** Producers whose highest persistent sequence is remembered, to drop resent duplicates (0 = no audit). */
  readonly producerAudit: number;
}

/** Who may serve: the lock that makes one broker of a master/slave group the master. */
export type HaLockType = 'auto' | 'file' | 'database' | 'none';

export interface HaConfig {
  /**
   * `file`: a lease file in the data directory (shared directory master/slave); `database`: a lock
   * row in the SQL store's database; `auto`: `database` for SQL stores, `file` for the journal,
   * `none` for the memory store; `none`: no standby (a second broker on the data directory fails).
   */
  readonly lock: HaLockType;
  /** A standby takes over once the master's lease has not been renewed for this long. */
  readonly lease: number;
  /** The master renews its lease this often. */
  readonly renewInterval: number;
  /** The master stops serving this long before its lease could expire (clock rate and pause margin). */
  readonly fenceMargin: number;
  /** A standby checks the lock this often. */
  readonly retryInterval: number;
}

/**
 * Resource limits, bytes. 0 means "derive from the machine at start" (see resolveLimits in
 * src/config/limits.ts and docs/configuration.md "Limits").
 */
export interface LimitsConfig {
  /** Message data held in RAM, broker-wide. Over it, persistent messages page out to the store and non-persistent ones spill to temp. */
  readonly memory: number;
  /** Disk used by persistent data (the journal). Over it, persistent producers are flow-controlled. */
  readonly store: number;
  /** Disk used to spill non-persistent data. Over it, non-persistent producers are flow-controlled. */
  readonly temp: number;
}

/** What to do with a message that exceeded maxRedeliveries (or expired, with expiredToDeadLetter). */
export type DeadLetterStrategy = 'shared' | 'individual' | 'discard';

/**
 * Per-destination policy, matched by wildcard (`queue://orders.>`, `topic://>`, `>` for both).
 * Every matching entry applies, in file order; later entries override earlier ones key by key.
 * Absent keys leave the value from earlier entries or the built-in default.
 */
export interface DestinationPolicy {
  /** `queue://PATTERN`, `topic://PATTERN` or a bare PATTERN (both kinds); parsePolicyMatch() in config/policy-schema.ts splits it. */
  readonly match: string;
  /** Default prefetch of subscriptions on matching destinations. */
  readonly prefetch?: number | undefined;
  /** Memory limit of one destination (bytes); the broker-wide limit still applies. */
  readonly memoryLimit?: number | undefined;
  /** Deliver higher JMS priorities first (queues). */
  readonly prioritizedMessages?: boolean | undefined;
  readonly deadLetter?: DeadLetterStrategy | undefined;
  /** Queue used by the `shared` strategy (ActiveMQ.DLQ). */
  readonly deadLetterQueue?: string | undefined;
  /** Prefix of the per-destination DLQ of the `individual` strategy (`DLQ.` + name). */
  readonly deadLetterPrefix?: string | undefined;
  /** Redeliveries before dead-lettering; -1 = unlimited. */
  readonly maxRedeliveries?: number | undefined;
  /** Delay before the first redelivery, ms (0 = at once). */
  readonly redeliveryDelay?: number | undefined;
  /** Each further redelivery waits this many times longer (1 = constant delay). */
  readonly redeliveryBackoffMultiplier?: number | undefined;
  /** Cap on the redelivery delay, ms. */
  readonly maxRedeliveryDelay?: number | undefined;
  /** Send expired messages to the dead-letter queue instead of dropping them. */
  readonly expiredToDeadLetter?: boolean | undefined;
  /** When the store/temp limit is reached: answer sends with an error instead of waiting. */
  readonly sendFailIfNoSpace?: boolean | undefined;
  /** Wait this long (ms) for space, then fail the send; 0 = wait forever (unless sendFailIfNoSpace). */
  readonly sendFailIfNoSpaceAfterTimeout?: number | undefined;
  /** Most messages pending for one non-durable topic subscriber; beyond it the oldest are dropped and counted. */
  readonly pendingMessageLimit?: number | undefined;
}

export interface FerryConfig {
  /** File the config came from, for messages; undefined when built in code. */
  readonly source?: string | undefined;
  readonly broker: {
    readonly name: string;
    readonly dataDirectory: string;
  };
  readonly listeners: readonly ListenerConfig[];
  readonly stomp: StompConfig;
  readonly openwire: OpenWireConfig;
  readonly tls: TlsConfig;
  readonly store: StoreConfig;
  readonly ha: HaConfig;
  readonly limits: LimitsConfig;
  /** Per-destination policies, in file order (see DestinationPolicy). */
  readonly policies: readonly DestinationPolicy[];
  readonly destinations: {
    /** Default prefetch for queue subscriptions (ActiveMQ: 1000). */
    readonly queuePrefetch: number;
    /** Default prefetch for topic subscriptions (ActiveMQ: 32766). */
    readonly topicPrefetch: number;
  };
  readonly logging: {
    readonly level: LogLevel;
    /** Also write logs to `<dataDirectory>/ferrymq.log`. */
    readonly file: boolean;
    /** Pretty console output is never used; stdout gets JSON lines. false silences stdout. */
    readonly stdout: boolean;
  };
}
