/**
 * The validated configuration as the rest of the broker sees it: every default applied, sizes in
 * bytes, durations in milliseconds. Produced by config/load.ts from YAML (+ env), or built in code
 * by embedders via `defaultConfig()` and spread overrides.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ListenerConfig {
  /** The ActiveMQ-style URI as written, e.g. `stomp://0.0.0.0:61613?maximumConnections=1000`. */
  readonly uri: string;
  /** `stomp` (TCP) or `ws` (STOMP over WebSocket). More schemes arrive with later heads. */
  readonly scheme: 'stomp' | 'ws';
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
}

export interface StompConfig {
  /** Largest frame (headers + body) accepted, bytes. */
  readonly maxFrameSize: number;
  /** Most headers in one frame. */
  readonly maxHeaders: number;
  /** Longest single header line, bytes. */
  readonly maxHeaderLength: number;
  /** Heart-beat the broker offers to send / wants to receive, ms (STOMP 1.1+ negotiation). */
  readonly heartbeatSend: number;
  readonly heartbeatReceive: number;
  /** A peer silent for heartbeatReceive * this factor is dropped. */
  readonly heartbeatGraceFactor: number;
  /** Time a new connection has to send CONNECT, ms. */
  readonly connectTimeout: number;
}

export interface JournalConfig {
  /** Segment file size; a segment is reclaimed once all its records are acknowledged. */
  readonly segmentSize: number;
  /** fdatasync each group commit. Off only for tests or throw-away data. */
  readonly sync: boolean;
}

export interface StoreConfig {
  readonly type: 'journal' | 'memory';
  readonly journal: JournalConfig;
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
  readonly store: StoreConfig;
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
