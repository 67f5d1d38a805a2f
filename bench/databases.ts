/**
 * Database servers for the SQL targets: a fresh PostgreSQL or MariaDB cluster in a temp dir on a
 * free port, from the same harness the SQL store tests use (test/helpers/db-servers.ts), with
 * durable commits (PostgreSQL fsync and synchronous_commit on; MariaDB's default
 * innodb_flush_log_at_trx_commit=1). Each target gets its own fresh server, started just before
 * its broker and destroyed right after it, so no target pays for another's WAL or checkpoints.
 */
import { startMariaDb, startPostgres, TEST_DB_NAME, TEST_DB_PASSWORD, TEST_DB_USER, type DbServer } from '../test/helpers/db-servers.js';

export type DatabaseKind = 'postgres' | 'mysql';

export interface BenchDatabase {
  readonly kind: DatabaseKind;
  readonly server: DbServer;
  /** Product and version, for reports: `PostgreSQL 15.18`. */
  readonly label: string;
  /** For clients that do not take a URL (ActiveMQ's JDBC DataSource). */
  readonly host: string;
  readonly database: string;
  readonly user: string;
  readonly password: string;
}

/** Servers started and not yet destroyed: an interrupted bench removes them (they run detached). */
const live = new Set<DbServer>();

export async function startDatabase(kind: DatabaseKind): Promise<BenchDatabase> {
  const server = kind === 'postgres' ? await startPostgres({ fsync: true }) : await startMariaDb();
  live.add(server);
  let label = kind === 'postgres' ? 'PostgreSQL' : 'MariaDB';
  try {
    const admin = await server.admin();
    try {
      const rows = await admin.query(kind === 'postgres' ? 'SHOW server_version' : 'SELECT VERSION() AS v');
      const version = Object.values(rows[0] ?? {})[0];
      if (typeof version === 'string') label += ` ${version.split(/[ -]/)[0] ?? version}`;
    } finally {
      await admin.close();
    }
  } catch (err) {
    await destroyDatabase(server);
    throw err;
  }
  return { kind, server, label, host: '127.0.0.1', database: TEST_DB_NAME, user: TEST_DB_USER, password: TEST_DB_PASSWORD };
}

export async function destroyDatabase(server: DbServer): Promise<void> {
  live.delete(server);
  await server.destroy();
}

/** Stops and removes every database server still running (for the bench's signal handler). */
export async function destroyAllDatabases(): Promise<void> {
  await Promise.all([...live].map((s) => destroyDatabase(s)));
}
