/**
 * Every configuration default, as a named constant with the reason it has this value. The schema
 * (schema.ts) reads these; so do listener URI parsing and the embedding API (`defaultConfig()`).
 * Sizes are bytes, durations milliseconds.
 */

const KB = 1024;
const MB = 1024 * KB;

// --- broker -------------------------------------------------------------------------------------

/** ActiveMQ's default brokerName, so tools and logs that expect it keep working. */
export const DEFAULT_BROKER_NAME = 'localhost';
/** Like ActiveMQ's `activemq.data`: relative paths resolve against the working directory. */
export const DEFAULT_DATA_DIRECTORY = './data';

// --- listeners ----------------------------------------------------------------------------------

/** ActiveMQ's STOMP transportConnector port. */
export const DEFAULT_STOMP_PORT = 61613;
/** ActiveMQ's WebSocket (STOMP over ws) transportConnector port. */
export const DEFAULT_WS_PORT = 61614;
/** The STOMP and WebSocket connectors of ActiveMQ's stock activemq.xml, on every interface. */
export const DEFAULT_LISTENER_URIS: readonly string[] = [
  `stomp://0.0.0.0:${DEFAULT_STOMP_PORT}`,
  `ws://0.0.0.0:${DEFAULT_WS_PORT}`,
];
/** ActiveMQ's stock `maximumConnections=1000` on every transportConnector. */
export const DEFAULT_MAXIMUM_CONNECTIONS = 1000;

// --- stomp --------------------------------------------------------------------------------------

/** ActiveMQ's wireFormat MAX_DATA_LENGTH default (104857600): clients sized for it keep working. */
export const DEFAULT_MAX_FRAME_SIZE = 100 * MB;
/** ActiveMQ's StompWireFormat MAX_HEADERS: plenty for real clients, bounds a header flood. */
export const DEFAULT_MAX_HEADERS = 1000;
/** ActiveMQ's StompWireFormat MAX_HEADER_LENGTH (10240): bounds memory per header line. */
export const DEFAULT_MAX_HEADER_LENGTH = 10 * KB;
/** Offer a heart-beat every 10 s: detects dead peers within a minute without chatter. */
export const DEFAULT_HEARTBEAT_SEND = 10_000;
/** Ask for a heart-beat every 10 s (STOMP 1.2 Heart-beating negotiates the larger of both sides). */
export const DEFAULT_HEARTBEAT_RECEIVE = 10_000;
/** Tolerate one late heart-beat (network jitter, GC pause) before dropping the peer. */
export const DEFAULT_HEARTBEAT_GRACE_FACTOR = 2;
/** ActiveMQ's connectAttemptTimeout default (30 s): a socket that never sends CONNECT is closed. */
export const DEFAULT_CONNECT_TIMEOUT = 30_000;

// --- store --------------------------------------------------------------------------------------

/** Durable by default, like ActiveMQ's KahaDB. */
export const DEFAULT_STORE_TYPE = 'journal';
/** KahaDB's journalMaxFileLength (32mb): small enough to reclaim often, big enough to batch. */
export const DEFAULT_JOURNAL_SEGMENT_SIZE = 32 * MB;
/** A persistent message is on disk before its receipt: never trade durability silently. */
export const DEFAULT_JOURNAL_SYNC = true;

// --- destinations -------------------------------------------------------------------------------

/** ActiveMQ's default queue prefetch. */
export const DEFAULT_QUEUE_PREFETCH = 1000;
/** ActiveMQ's default (non-durable) topic prefetch, Short.MAX_VALUE - 1. */
export const DEFAULT_TOPIC_PREFETCH = 32766;

// --- logging ------------------------------------------------------------------------------------

/** Lifecycle and errors, not per-message noise. */
export const DEFAULT_LOG_LEVEL = 'info';
/** Keep a log next to the data, as ActiveMQ keeps data/activemq.log. */
export const DEFAULT_LOG_FILE = true;
/** JSON lines on stdout for systemd/containers to collect. */
export const DEFAULT_LOG_STDOUT = true;
/** Name of the log file inside the data directory. */
export const LOG_FILE_NAME = 'ferrymq.log';
/** Name of the pid file inside the data directory (written by `ferrymq start`). */
export const PID_FILE_NAME = 'ferrymq.pid';

// --- environment --------------------------------------------------------------------------------

/** Environment variables applied after the config file (documented in docs/configuration.md). */
export const ENV_DATA_DIRECTORY = 'FERRYMQ_DATA';
export const ENV_LOG_LEVEL = 'FERRYMQ_LOG_LEVEL';
export const ENV_BROKER_NAME = 'FERRYMQ_BROKER_NAME';
