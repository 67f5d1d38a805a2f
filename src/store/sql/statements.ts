/**
 * A group plan as parameterised, batched statements: multi-row INSERT ... VALUES, DELETE ... IN,
 * chunked so no statement grows past MAX_ROWS_PER_STATEMENT rows or MAX_BYTES_PER_STATEMENT of
 * message data. The order is the one group-plan.ts relies on (deletes before inserts).
 */
import type { Statement, SqlDialect } from './dialect.js';
import { valuesList } from './dialect.js';
import type { GroupPlan, LiveIndex } from './group-plan.js';
import type { TableNames } from './schema.js';

/** Rows per multi-row statement: far below both databases' 65535 placeholders, big enough that a group is a handful of statements. */
export const MAX_ROWS_PER_STATEMENT = 500;
/** Message data per INSERT: well inside MariaDB's default max_allowed_packet (16 MiB). */
export const MAX_BYTES_PER_STATEMENT = 4 * 1024 * 1024;
/** Ids per `IN` list (reads, deletes). */
export const MAX_IDS_PER_STATEMENT = 1000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `col IN (p1, ..., pn)` over strings, one statement per chunk. */
function deleteWhereIn(dialect: SqlDialect, table: string, column: string, values: readonly string[]): Statement[] {
  return chunks(values, MAX_ROWS_PER_STATEMENT).map((part) => ({
    sql: `DELETE FROM ${table} WHERE ${column} IN ${valuesList(dialect, 1, part.length)}`,
    params: part,
  }));
}

/** Multi-row inserts of `rows` (each an array of column values). */
function insertRows(table: string, columns: readonly string[], rows: readonly unknown[][], dialect: SqlDialect, build = (values: string): string => `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`): Statement[] {
  return chunks(rows, MAX_ROWS_PER_STATEMENT).map((part) => ({ sql: build(valuesList(dialect, part.length, columns.length)), params: part.flat() }));
}

/** DELETE of ids, chunked, in the dialect's id-list shape. */
export function deleteIds(dialect: SqlDialect, table: string, ids: readonly number[]): Statement[] {
  return chunks(ids, MAX_IDS_PER_STATEMENT).map((part) => {
    const { where, params } = dialect.idList('id', part, 1);
    return { sql: `DELETE FROM ${table} WHERE ${where}`, params };
  });
}

/** Every statement of one group's transaction, in order. */
export function groupStatements(dialect: SqlDialect, t: TableNames, plan: GroupPlan, index: LiveIndex): Statement[] {
  const out: Statement[] = [];
  const p1 = dialect.param(1);
  for (const container of plan.droppedContainers) out.push({ sql: `DELETE FROM ${t.refs} WHERE container = ${p1}`, params: [container] });
  const rows = plan.rows();
  // By container, ids in a list: a primary-key lookup per id in both databases (a row-value
  // `(id, container) IN (...)` list made PostgreSQL scan the table).
  const byContainer = new Map<string, number[]>();
  for (const [id, container] of rows.deleteRefs) {
    const ids = byContainer.get(container);
    if (ids === undefined) byContainer.set(container, [id]);
    else ids.push(id);
  }
  for (const [container, ids] of byContainer) {
    for (const part of chunks(ids, MAX_IDS_PER_STATEMENT)) {
      const { where, params } = dialect.idList('id', part, 2);
      out.push({ sql: `DELETE FROM ${t.refs} WHERE container = ${p1} AND ${where}`, params: [container, ...params] });
    }
  }
  out.push(...deleteIds(dialect, t.messages, rows.deleteMessages));
  // Message inserts: chunked by rows and by data bytes (one big message is a statement of its own).
  let part: unknown[][] = [];
  let bytes = 0;
  const flushMessages = (): void => {
    if (part.length > 0) out.push(...insertRows(t.messages, ['id', 'priority', 'expiration', 'data'], part, dialect));
    part = [];
    bytes = 0;
  };
  for (const m of rows.insertMessages) {
    if (part.length > 0 && (bytes + m.data.length > MAX_BYTES_PER_STATEMENT || part.length >= MAX_ROWS_PER_STATEMENT)) flushMessages();
    part.push([m.id, m.priority, m.expiration, m.data]);
    bytes += m.data.length;
  }
  flushMessages();
  out.push(...insertRows(t.refs, ['id', 'container', 'pos'], rows.insertRefs, dialect));

  const removedDestinations: string[] = [];
  const addedDestinations: string[][] = [];
  for (const [name, present] of plan.destinations) {
    if (present) addedDestinations.push([name]);
    else removedDestinations.push(name);
  }
  out.push(...deleteWhereIn(dialect, t.destinations, 'name', removedDestinations));
  out.push(...insertRows(t.destinations, ['name'], addedDestinations, dialect, (values) => dialect.insertIgnore(t.destinations, ['name'], values)));

  // A subscription-add replaces the record (delete, then insert): absent fields stay NULL.
  out.push(...deleteWhereIn(dialect, t.subscriptions, 'sub_key', [...plan.subscriptions.keys()]));
  const subs: unknown[][] = [];
  for (const entry of plan.subscriptions.values()) {
    if (entry === null) continue;
    const s = entry.sub;
    subs.push([s.key, s.clientId, s.subscriptionName, s.destination, s.selector ?? null, s.noLocal === undefined ? null : s.noLocal ? 1 : 0, entry.stamp]);
  }
  out.push(...insertRows(t.subscriptions, ['sub_key', 'client_id', 'subscription_name', 'destination', 'selector', 'no_local', 'stamp'], subs, dialect));

  const producers = [...plan.producers.values()].map((p) => [p.producer, p.seq, p.stamp]);
  out.push(...insertRows(t.producers, ['producer', 'seq', 'stamp'], producers, dialect, (values) => dialect.upsertProducers(t.producers, values)));

  if (plan.maxAddId >= index.nextId) {
    out.push({
      sql: `UPDATE ${t.meta} SET meta_value = ${p1} WHERE meta_key = ${dialect.param(2)} AND meta_value < ${dialect.param(3)}`,
      params: [plan.maxAddId + 1, 'next_id', plan.maxAddId + 1],
    });
  }
  return out;
}

/**
 * Keeps the producer table near `max` rows: deletes all but the `max` most recently written.
 * `max` is a validated config integer, written into the SQL because LIMIT/OFFSET take no
 * expression; the nested derived table lets MySQL read the table it deletes from.
 */
export function trimProducers(t: TableNames, max: number): Statement {
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`producer audit size ${max}`);
  return {
    sql: `DELETE FROM ${t.producers} WHERE stamp < (SELECT s FROM (SELECT stamp AS s FROM ${t.producers} ORDER BY stamp DESC LIMIT 1 OFFSET ${max - 1}) AS newest)`,
    params: [],
  };
}
