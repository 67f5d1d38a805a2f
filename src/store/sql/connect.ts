/**
 * From `store.url` to a live connection: URL parsing, password redaction, and the start-up policy
 * users meet. A database that refuses us (wrong password, unknown database, no permission) is a
 * STORE_UNAVAILABLE at once, with a message that names user, host and database and never the
 * password. A database that cannot be reached (refused connection, timeout, DNS, still starting)
 * is retried with exponential back-off, one warn line per attempt, until it answers or the
 * caller's signal aborts (close() during start).
 */
import type pino from 'pino';
import type { StoreType } from '../../config/types.js';
import { FerryError } from '../../errors.js';
import { abortableSleep } from '../../util/abortable-sleep.js';
import type { DbTarget, SqlConnection, SqlDialect, Timeouts } from './dialect.js';
import { mysqlDialect } from './mysql-dialect.js';
import { postgresDialect } from './postgres-dialect.js';

/** First back-off after a failed attempt: short, since a database restarting is often back in a second. */
export const CONNECT_RETRY_FIRST_MS = 500;
/** Longest back-off: a database down for long is still noticed within half a minute of its return. */
export const CONNECT_RETRY_MAX_MS = 30_000;
/**
 * Connection attempt: long enough for a loaded server, short enough to log and retry. Statement:
 * a group commit's statement takes milliseconds, a minute means the database hangs.
 */
export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 10_000, statementMs: 60_000 };

const DEFAULT_PORTS: Record<'postgres' | 'mysql', number> = { postgres: 5432, mysql: 3306 };

export function dialectFor(type: StoreType): SqlDialect {
  if (type === 'postgres') return postgresDialect;
  if (type === 'mysql') return mysqlDialect;
  throw new FerryError('STORE_UNAVAILABLE', `store.type ${type} is not a SQL store`);
}

/** Parses `postgres://user:pass@host:port/db?opt=v` (the config schema validated its shape). */
export function parseStoreUrl(url: string, kind: 'postgres' | 'mysql'): DbTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new FerryError('STORE_UNAVAILABLE', `store.url is not a URL: ${redactUrl(url)}`);
  }
  const options: Record<string, string> = {};
  for (const [k, v] of u.searchParams) options[k] = v;
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? DEFAULT_PORTS[kind] : Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    options,
  };
}

/** The URL with its password replaced, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/** `user "u" at host:port, database "db"`: what every connection message names. */
export function describeTarget(t: DbTarget): string {
  return `user "${t.user}" at ${t.host}:${t.port}, database "${t.database}"`;
}

/** A driver error's message with the password cut out, should a driver ever echo it. */
export function safeMessage(err: unknown, t: DbTarget): string {
  const msg = err instanceof Error ? err.message : String(err);
  return t.password === '' ? msg : msg.split(t.password).join('***');
}

/**
 * Connects, retrying while the database is unreachable. Rejects with STORE_UNAVAILABLE when the
 * database refuses us, or with the signal's reason when `signal` aborts.
 */
export async function connectWithRetry(
  dialect: SqlDialect,
  target: DbTarget,
  signal: AbortSignal,
  logger: pino.Logger | undefined,
  timeouts: Timeouts = DEFAULT_TIMEOUTS,
): Promise<SqlConnection> {
  let delay = CONNECT_RETRY_FIRST_MS;
  for (;;) {
    signal.throwIfAborted();
    try {
      const conn = await dialect.connect(target, timeouts);
      if (signal.aborted) {
        await conn.close();
        signal.throwIfAborted();
      }
      return conn;
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      if (dialect.classify(e) === 'refused') {
        throw new FerryError('STORE_UNAVAILABLE', `${dialect.label} refused ${describeTarget(target)}: ${safeMessage(e, target)}`, { cause: e });
      }
      logger?.warn(
        { host: target.host, port: target.port, database: target.database, err: safeMessage(e, target), retryInMs: delay },
        `database unreachable at ${target.host}:${target.port}, retrying in ${delay / 1000}s`,
      );
      await abortableSleep(delay, signal);
      delay = Math.min(delay * 2, CONNECT_RETRY_MAX_MS);
    }
  }
}
