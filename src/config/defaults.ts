/**
 * Every configuration default, as a named constant with the reason it has this value. The schema
 * (schema.ts) reads these; so do listener URI parsing and the embedding API (`defaultConfig()`).
 * Sizes are bytes, durations milliseconds.
 */

import type { DeadLetterStrategy, DestinationPolicy } from './types.js';

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;

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
/** ActiveMQ's conventional ports for its TLS connectors (ssl://, stomp+ssl://). */
export const DEFAULT_SSL_PORT = 61617;
export const DEFAULT_STOMP_SSL_PORT = 61612;
/** TLS files are checked for changes this often, so renewed certificates apply without a restart. */
export const DEFAULT_TLS_RELOAD_INTERVAL = 5_000;
/** Environment variable for the TLS key passphrase (keeps it out of the config file). */
export const ENV_TLS_PASSPHRASE = 'FERRYMQ_TLS_PASSPHRASE';
/** ActiveMQ's OpenWire transportConnector port. */
export const DEFAULT_OPENWIRE_PORT = 61616;
/** The OpenWire, STOMP and WebSocket connectors of ActiveMQ's stock activemq.xml, on every interface. */
export const DEFAULT_LISTENER_URIS: readonly string[] = [
  `tcp://0.0.0.0:${DEFAULT_OPENWIRE_PORT}`,
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
/**
 * The fastest heart-beat the broker agrees to, either way: fast enough for a failover client to
 * see a dead broker within a few seconds, slow enough that 10,000 clients cost little.
 */
export const DEFAULT_HEARTBEAT_MINIMUM = 500;
/** Tolerate one late heart-beat (network jitter, GC pause) before dropping the peer. */
export const DEFAULT_HEARTBEAT_GRACE_FACTOR = 2;
/** ActiveMQ's connectAttemptTimeout default (30 s): a socket that never sends CONNECT is closed. */
export const DEFAULT_CONNECT_TIMEOUT = 30_000;
/** Unanswered SEND bytes per connection before the broker stops reading it: enough to keep a
 *  fast producer's pipeline full (group commit), small enough that 1000 connections cannot
 *  buffer gigabytes (ActiveMQ's producerWindowSize is 1mb; STOMP has no window, so we hold it). */
export const DEFAULT_PRODUCER_WINDOW = 4 * MB;

// --- openwire -----------------------------------------------------------------------------------

/** ActiveMQ's default activemq.xml sets wireFormat.maxFrameSize=104857600 on its connectors. */
export const DEFAULT_OPENWIRE_MAX_FRAME_SIZE = 100 * MB;
/** ActiveMQ's WireFormatInfo default: a peer silent for 30 s is dead. */
export const DEFAULT_OPENWIRE_MAX_INACTIVITY = 30_000;
/** ActiveMQ's maxInactivityDurationInitalDelay default (10 s): time to finish connecting first. */
export const DEFAULT_OPENWIRE_INACTIVITY_DELAY = 10_000;
/** ActiveMQ's OpenWireFormat cacheSize default. */
export const DEFAULT_OPENWIRE_CACHE_SIZE = 1024;

// --- store --------------------------------------------------------------------------------------

/** Durable by default, like ActiveMQ's KahaDB. */
export const DEFAULT_STORE_TYPE = 'journal';
/** KahaDB's journalMaxFileLength (32mb): small enough to reclaim often, big enough to batch. */
export const DEFAULT_JOURNAL_SEGMENT_SIZE = 32 * MB;
/** A persistent message is on disk before its receipt: never trade durability silently. */
export const DEFAULT_JOURNAL_SYNC = true;
/** node-postgres' and mysql2's default pool size; one connection writes, the rest read. */
export const DEFAULT_SQL_POOL = 10;
/** Not ActiveMQ's `ACTIVEMQ_`: FerryMQ's tables differ, and must not collide with ActiveMQ's in a shared database. */
export const DEFAULT_SQL_TABLE_PREFIX = 'FERRYMQ_';
/** Ten times KahaDB's maxFailoverProducersToTrack (1000): a producer costs ~100 bytes. */
export const DEFAULT_PRODUCER_AUDIT = 10_000;

// --- ha -----------------------------------------------------------------------------------------

/** Every store that can be shared gets a lock, so a second broker waits instead of corrupting it. */
export const DEFAULT_HA_LOCK = 'auto';
/** A hung master is replaced within about this long; shorter leases risk takeovers on a GC pause. */
export const DEFAULT_HA_LEASE = 5_000;
/** Four renewals per lease: one slow write to NFS or the database does not cost the lease. */
export const DEFAULT_HA_RENEW_INTERVAL = 1_000;
/** The master fences itself a second before its lease ends: covers clock rate drift and a stall between check and write. */
export const DEFAULT_HA_FENCE_MARGIN = 1_000;
/** A standby polls four times a second: with a visible death, takeover stays well under 1.5 s. */
export const DEFAULT_HA_RETRY_INTERVAL = 250;
// --- destinations -------------------------------------------------------------------------------

/** ActiveMQ's default queue prefetch. */
export const DEFAULT_QUEUE_PREFETCH = 1000;
/** ActiveMQ's default (non-durable) topic prefetch, Short.MAX_VALUE - 1. */
export const DEFAULT_TOPIC_PREFETCH = 32766;

// --- limits (`auto`, resolved at start by resolveLimits in limits.ts) ------------------------------

/** A tenth of RAM for message data: the rest is Node's heap, socket buffers and the page cache the journal reads through. */
export const MEMORY_AUTO_FRACTION = 0.1;
/** The memoryUsage of ActiveMQ's older stock activemq.xml (64 mb): below it, every burst pages out. */
export const MEMORY_AUTO_MIN = 64 * MB;
/** ActiveMQ BrokerService's built-in memory limit (1 gb): a bigger broker should say so explicitly. */
export const MEMORY_AUTO_MAX = 1 * GB;
/** ActiveMQ's default storeUsage (100 gb). */
export const STORE_AUTO_MAX = 100 * GB;
/** Leave a tenth of the free disk for the OS, logs and journal segments being written or compacted. */
export const STORE_AUTO_DISK_FRACTION = 0.9;
/** ActiveMQ's default tempUsage (50 gb). */
export const TEMP_AUTO_MAX = 50 * GB;
/** Temp shares the data directory's disk with the store: half of the free disk leaves the store its room. */
export const TEMP_AUTO_DISK_FRACTION = 0.5;
/** Smallest explicit limit: anything below one small frame is a typo (a missing unit), not a limit. */
export const MIN_EXPLICIT_LIMIT = 1 * KB;

// --- per-destination policies (`policies:`; absent keys fall back to these) ------------------------

/** ActiveMQ's shared dead-letter strategy: one DLQ for the whole broker. */
export const DEFAULT_DEAD_LETTER: DeadLetterStrategy = 'shared';
/** ActiveMQ's shared DLQ name, so tools watching it keep working. */
export const DEFAULT_DEAD_LETTER_QUEUE = 'ActiveMQ.DLQ';
/** ActiveMQ's individualDeadLetterStrategy queuePrefix. */
export const DEFAULT_DEAD_LETTER_PREFIX = 'DLQ.';
/** ActiveMQ's RedeliveryPolicy maximumRedeliveries: delivered 7 times in all, then dead-lettered. */
export const DEFAULT_MAX_REDELIVERIES = 6;
/** The broker redelivers at once unless configured (ActiveMQ has no broker-side delay by default). */
export const DEFAULT_REDELIVERY_DELAY = 0;
/** ActiveMQ's RedeliveryPolicy backOffMultiplier; only applies once redeliveryDelay > 0. */
export const DEFAULT_REDELIVERY_BACKOFF_MULTIPLIER = 5;
/** Back-off stops growing at an hour: a poison message is retried at least hourly, never starved. */
export const DEFAULT_MAX_REDELIVERY_DELAY = 3_600_000;
/**
 * Expired messages are dropped. Deliberately unlike ActiveMQ, whose processExpired defaults to true
 * and quietly fills ActiveMQ.DLQ with expired messages; set true for ActiveMQ's behaviour.
 */
export const DEFAULT_EXPIRED_TO_DEAD_LETTER = false;
/** ActiveMQ's default: a producer over the store/temp limit waits (flow control) rather than failing. */
export const DEFAULT_SEND_FAIL_IF_NO_SPACE = false;
/** 0 = wait for space without a deadline (ActiveMQ's sendFailIfNoSpaceAfterTimeout default). */
export const DEFAULT_SEND_FAIL_IF_NO_SPACE_AFTER_TIMEOUT = 0;
/** Bounds the backlog of one slow non-durable topic subscriber so it cannot eat the memory limit. */
export const DEFAULT_PENDING_MESSAGE_LIMIT = 100_000;
/** ActiveMQ queues honour JMSPriority (prioritizedMessages) in dispatch order. */
export const DEFAULT_PRIORITIZED_MESSAGES = true;

/** The keys of DestinationPolicy that always have a value once the built-in defaults apply. */
export type PolicyDefaults = {
  readonly [K in keyof Omit<DestinationPolicy, 'match' | 'memoryLimit' | 'prefetch'>]-?: NonNullable<DestinationPolicy[K]>;
};

/**
 * What a destination gets when no `policies` entry sets a key. `prefetch` falls back to
 * `destinations.queuePrefetch` / `topicPrefetch`; `memoryLimit` unset means only the broker-wide
 * `limits.memory` applies.
 */
export const DEFAULT_POLICY: PolicyDefaults = Object.freeze({
  prioritizedMessages: DEFAULT_PRIORITIZED_MESSAGES,
  deadLetter: DEFAULT_DEAD_LETTER,
  deadLetterQueue: DEFAULT_DEAD_LETTER_QUEUE,
  deadLetterPrefix: DEFAULT_DEAD_LETTER_PREFIX,
  maxRedeliveries: DEFAULT_MAX_REDELIVERIES,
  redeliveryDelay: DEFAULT_REDELIVERY_DELAY,
  redeliveryBackoffMultiplier: DEFAULT_REDELIVERY_BACKOFF_MULTIPLIER,
  maxRedeliveryDelay: DEFAULT_MAX_REDELIVERY_DELAY,
  expiredToDeadLetter: DEFAULT_EXPIRED_TO_DEAD_LETTER,
  sendFailIfNoSpace: DEFAULT_SEND_FAIL_IF_NO_SPACE,
  sendFailIfNoSpaceAfterTimeout: DEFAULT_SEND_FAIL_IF_NO_SPACE_AFTER_TIMEOUT,
  pendingMessageLimit: DEFAULT_PENDING_MESSAGE_LIMIT,
});

// --- logging ------------------------------------------------------------------------------------

/** Lifecycle and errors, not per-message noise. */
export const DEFAULT_LOG_LEVEL = 'info';
/** Keep a log next to the data, as ActiveMQ keeps data/activemq.log. */
export const DEFAULT_LOG_FILE = true;
/** JSON lines on stdout for systemd/containers to collect. */
export const DEFAULT_LOG_STDOUT = true;
/** Name of the log file inside the data directory. */
export const LOG_FILE_NAME = 'ferrymq.log';

// --- environment --------------------------------------------------------------------------------

/** Environment variables applied after the config file (documented in docs/configuration.md). */
export const ENV_DATA_DIRECTORY = 'FERRYMQ_DATA';
export const ENV_LOG_LEVEL = 'FERRYMQ_LOG_LEVEL';
export const ENV_BROKER_NAME = 'FERRYMQ_BROKER_NAME';
/** Keeps a database password out of the config file. */
export const ENV_STORE_URL = 'FERRYMQ_STORE_URL';
