/**
 * The SQL store's tables, created on first start (CREATE TABLE IF NOT EXISTS), and the check that
 * tables already there are ours and of this version. One definition per table drives both the
 * DDL and the column check; the lock table is shared with the database master lock
 * (src/ha/database-lock.ts), which may start before the store.
 *
 *   <p>META           meta_key PK, meta_value   'schema_version' and 'next_id' (id high-water: acked
 *                                               ids still count for RecoveredState.nextId)
 *   <p>MESSAGES       id PK, priority, expiration, data
 *   <p>REFS           (id, container) PK, pos   one row per container holding a message; pos keeps
 *                                               the order the containers were given in
 *   <p>DESTINATIONS   name PK
 *   <p>SUBSCRIPTIONS  sub_key PK, client_id, subscription_name, destination, selector, no_local, stamp
 *   <p>PRODUCERS      producer PK, seq, stamp   stamp: write order, for "the most recent N"
 *   <p>LOCK           id=1 row: holder, epoch, expires_at (database clock), released, session_locked,
 *                                               host, pid, broker, listeners (JSON)
 */
import { FerryError } from '../../errors.js';
import type { ColumnType, SqlConnection, SqlDialect } from './dialect.js';
import { num, str } from './dialect.js';

/** Bumped when a table changes shape; a store finding another version refuses to start. */
export const SCHEMA_VERSION = 1;
/**
 * Longest container, destination, subscription key and producer id: the widest VARCHAR that fits
 * an InnoDB index key with utf8mb4 (3072 bytes = 768 characters, less the BIGINT beside it).
 */
export const MAX_NAME_LENGTH = 750;

const BIGINT: ColumnType = { postgres: 'BIGINT', mysql: 'BIGINT' };
const NAME: ColumnType = { postgres: `VARCHAR(${MAX_NAME_LENGTH})`, mysql: `VARCHAR(${MAX_NAME_LENGTH})` };
const TEXT: ColumnType = { postgres: 'TEXT', mysql: 'TEXT' };
const SMALL: ColumnType = { postgres: 'SMALLINT', mysql: 'SMALLINT' };

interface TableDef {
  /** Suffix after the prefix. */
  readonly suffix: string;
  readonly columns: readonly (readonly [string, ColumnType, string])[];
  readonly primaryKey: string;
  /** Secondary indexes: name suffix -> columns. */
  readonly indexes?: Readonly<Record<string, string>>;
}

const TABLES: readonly TableDef[] = [
  { suffix: 'META', columns: [['meta_key', { postgres: 'VARCHAR(64)', mysql: 'VARCHAR(64)' }, 'NOT NULL'], ['meta_value', BIGINT, 'NOT NULL']], primaryKey: 'meta_key' },
  {
    suffix: 'MESSAGES',
    columns: [['id', BIGINT, 'NOT NULL'], ['priority', SMALL, 'NOT NULL'], ['expiration', BIGINT, 'NOT NULL'], ['data', { postgres: 'BYTEA', mysql: 'LONGBLOB' }, 'NOT NULL']],
    primaryKey: 'id',
  },
  {
    suffix: 'REFS',
    columns: [['id', BIGINT, 'NOT NULL'], ['container', NAME, 'NOT NULL'], ['pos', { postgres: 'INTEGER', mysql: 'INTEGER' }, 'NOT NULL']],
    primaryKey: 'id, container',
    indexes: { CONTAINER: 'container' },
  },
  { suffix: 'DESTINATIONS', columns: [['name', NAME, 'NOT NULL']], primaryKey: 'name' },
  {
    suffix: 'SUBSCRIPTIONS',
    columns: [
      ['sub_key', NAME, 'NOT NULL'],
      ['client_id', TEXT, 'NOT NULL'],
      ['subscription_name', TEXT, 'NOT NULL'],
      ['destination', TEXT, 'NOT NULL'],
      ['selector', TEXT, 'NULL'],
      ['no_local', SMALL, 'NULL'],
      ['stamp', BIGINT, 'NOT NULL'],
    ],
    primaryKey: 'sub_key',
  },
  { suffix: 'PRODUCERS', columns: [['producer', NAME, 'NOT NULL'], ['seq', BIGINT, 'NOT NULL'], ['stamp', BIGINT, 'NOT NULL']], primaryKey: 'producer', indexes: { STAMP: 'stamp' } },
];

const LOCK_TABLE: TableDef = {
  suffix: 'LOCK',
  columns: [
    ['id', { postgres: 'INTEGER', mysql: 'INTEGER' }, 'NOT NULL'],
    ['holder', { postgres: 'VARCHAR(200)', mysql: 'VARCHAR(200)' }, 'NULL'],
    ['epoch', BIGINT, 'NOT NULL'],
    ['expires_at', { postgres: 'TIMESTAMPTZ(3)', mysql: 'DATETIME(3)' }, 'NOT NULL'],
    ['released', SMALL, 'NOT NULL'],
    ['session_locked', SMALL, 'NOT NULL'],
    ['host', { postgres: 'VARCHAR(255)', mysql: 'VARCHAR(255)' }, 'NULL'],
    ['pid', { postgres: 'INTEGER', mysql: 'INTEGER' }, 'NULL'],
    ['broker', { postgres: 'VARCHAR(255)', mysql: 'VARCHAR(255)' }, 'NULL'],
    ['listeners', TEXT, 'NULL'],
  ],
  primaryKey: 'id',
};

/** The table names for one prefix. */
export interface TableNames {
  readonly meta: string;
  readonly messages: string;
  readonly refs: string;
  readonly destinations: string;
  readonly subscriptions: string;
  readonly producers: string;
  readonly lock: string;
}

/** The prefix is validated by the config schema; checked again because it goes into SQL text. */
export function tableNames(prefix: string): TableNames {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,30}$/.test(prefix)) throw new FerryError('STORE_INCOMPATIBLE', `store.tablePrefix "${prefix}" may hold only letters, digits and _`);
  return {
    meta: `${prefix}META`,
    messages: `${prefix}MESSAGES`,
    refs: `${prefix}REFS`,
    destinations: `${prefix}DESTINATIONS`,
    subscriptions: `${prefix}SUBSCRIPTIONS`,
    producers: `${prefix}PRODUCERS`,
    lock: `${prefix}LOCK`,
  };
}

function createTable(dialect: SqlDialect, prefix: string, t: TableDef): string[] {
  const name = prefix + t.suffix;
  const cols = t.columns.map(([c, type, nullity]) => `${c} ${type[dialect.kind]} ${nullity}`);
  const indexes = Object.entries(t.indexes ?? {});
  if (dialect.kind === 'mysql') {
    // MySQL has no CREATE INDEX IF NOT EXISTS: indexes go inside the CREATE TABLE.
    for (const [suffix, on] of indexes) cols.push(`INDEX ${name}_${suffix} (${on})`);
    return [`CREATE TABLE IF NOT EXISTS ${name} (${cols.join(', ')}, PRIMARY KEY (${t.primaryKey}))${dialect.tableOptions}`];
  }
  return [
    `CREATE TABLE IF NOT EXISTS ${name} (${cols.join(', ')}, PRIMARY KEY (${t.primaryKey}))`,
    ...indexes.map(([suffix, on]) => `CREATE INDEX IF NOT EXISTS ${name}_${suffix} ON ${name} (${on})`),
  ];
}

/**
 * Refuses tables of the same name with other columns: another application's, or another FerryMQ
 * version's. Only tables that exist are checked; missing ones get created.
 */
async function checkColumns(conn: SqlConnection, dialect: SqlDialect, prefix: string, tables: readonly TableDef[]): Promise<void> {
  const names = tables.map((t) => dialect.storedName(prefix + t.suffix).toLowerCase());
  const list = names.map((_, i) => dialect.param(i + 1)).join(', ');
  const r = await conn.query(dialect.columnsSql(list), names);
  const found = new Map<string, Set<string>>();
  for (const row of r.rows) {
    const t = str(row['t']).toLowerCase();
    let set = found.get(t);
    if (set === undefined) found.set(t, (set = new Set()));
    set.add(str(row['c']).toLowerCase());
  }
  for (const t of tables) {
    const have = found.get(dialect.storedName(prefix + t.suffix).toLowerCase());
    if (have === undefined) continue;
    const want = t.columns.map(([c]) => c);
    if (have.size === want.length && want.every((c) => have.has(c))) continue;
    throw new FerryError(
      'STORE_INCOMPATIBLE',
      `table ${prefix + t.suffix} exists with columns (${[...have].join(', ')}) but FerryMQ expects (${want.join(', ')}): ` +
        `it belongs to another application or FerryMQ version. Set store.tablePrefix to a prefix of your own, or drop the table if its data is not needed.`,
    );
  }
}

/**
 * DDL from two brokers at once (a store and a lock starting together) can collide in PostgreSQL's
 * catalog even with IF NOT EXISTS; the loser simply runs it again.
 */
async function runDdl(conn: SqlConnection, statements: readonly string[]): Promise<void> {
  for (const sql of statements) {
    try {
      await conn.query(sql);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code !== '23505' && code !== '42P07') throw e;
      await conn.query(sql);
    }
  }
}

/** Creates the lock table and its one row (id 1, nobody holding it) when missing. */
export async function ensureLockTable(conn: SqlConnection, dialect: SqlDialect, prefix: string): Promise<void> {
  const names = tableNames(prefix);
  await checkColumns(conn, dialect, prefix, [LOCK_TABLE]);
  await runDdl(conn, createTable(dialect, prefix, LOCK_TABLE));
  const values = `(1, NULL, 0, ${dialect.now}, 1, 0)`;
  await conn.query(dialect.insertIgnore(names.lock, ['id', 'holder', 'epoch', 'expires_at', 'released', 'session_locked'], values));
}

/**
 * Creates missing tables, checks existing ones, and records or checks the schema version.
 * Throws STORE_INCOMPATIBLE naming the table and what to do.
 */
export async function ensureSchema(conn: SqlConnection, dialect: SqlDialect, prefix: string): Promise<void> {
  const names = tableNames(prefix);
  await checkColumns(conn, dialect, prefix, TABLES);
  for (const t of TABLES) await runDdl(conn, createTable(dialect, prefix, t));
  await ensureLockTable(conn, dialect, prefix);
  const p = (n: number): string => dialect.param(n);
  await conn.query(dialect.insertIgnore(names.meta, ['meta_key', 'meta_value'], `(${p(1)}, ${p(2)}), (${p(3)}, ${p(4)})`), ['schema_version', SCHEMA_VERSION, 'next_id', 1]);
  const r = await conn.query(`SELECT meta_value AS v FROM ${names.meta} WHERE meta_key = ${p(1)}`, ['schema_version']);
  const version = num(r.rows[0]?.['v']);
  if (version !== SCHEMA_VERSION) {
    throw new FerryError(
      'STORE_INCOMPATIBLE',
      `table ${names.meta} says the tables with prefix ${prefix} have schema version ${version}, this FerryMQ uses version ${SCHEMA_VERSION}: ` +
        `run the FerryMQ version that made them, or give this broker another store.tablePrefix.`,
    );
  }
}
