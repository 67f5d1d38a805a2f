/**
 * SQL store benchmark (not a test).
 *   npm run build && node dist/bench/store-sql.js [N=50000] [--in-flight=256] [--only=postgres|mysql] [--fsync-off]
 *       Starts a fresh local PostgreSQL and MariaDB (test/helpers/db-servers.ts: temporary
 *       directories, free ports, fsync on unless --fsync-off), then appends N batches of ONE
 *       256-byte add each with up to --in-flight batches waiting (many concurrent producers of
 *       persistent messages), then acks them all the same way. Reports appends/s, transactions,
 *       batches per transaction, and the time to reopen (recovery).
 *   node dist/bench/store-sql.js --url=postgres://u:p@host/db [N]
 *       The same against an existing database (tables with a fresh prefix, dropped after).
 * Needs the servers' binaries: sudo scripts/install-test-deps.sh.
 */
import { cpus, loadavg } from 'node:os';
import type { StoreOp } from '../src/store/api.js';
import { SqlStore } from '../src/store/sql/sql-store.js';
import { startMariaDb, startPostgres, type DbServer } from '../test/helpers/db-servers.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 50_000);
const IN_FLIGHT = Number(flag('in-flight') ?? 256);
const only = flag('only');
const url = flag('url');
const BODY = Buffer.alloc(256, 0x61);

const seconds = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;

/** Appends `count` batches made by `make(i)`, up to IN_FLIGHT waiting. */
function pump(store: SqlStore, count: number, make: (i: number) => StoreOp[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 1;
    let done = 0;
    const onDone = (err?: Error): void => {
      if (err) return reject(err);
      if (++done === count) return resolve();
      if (next <= count) store.append(make(next++), onDone);
    };
    while (next <= Math.min(count, IN_FLIGHT)) store.append(make(next++), onDone);
  });
}

async function run(type: 'postgres' | 'mysql', dbUrl: string): Promise<void> {
  const tablePrefix = `BENCH${Date.now() % 1_000_000}_`;
  const store = new SqlStore({ type, url: dbUrl, pool: 4, tablePrefix });
  await store.open();
  const t0 = process.hrtime.bigint();
  await pump(store, N, (i) => [{ op: 'add', id: i, containers: ['queue://bench'], priority: 4, expiration: 0, data: BODY }]);
  const appendS = seconds(t0);
  const s = { ...store.stats() };
  const t1 = process.hrtime.bigint();
  await pump(store, N, (i) => [{ op: 'ack', container: 'queue://bench', id: i }]);
  const ackS = seconds(t1);
  const acks = store.stats();
  await store.close();
  const t2 = process.hrtime.bigint();
  const again = new SqlStore({ type, url: dbUrl, pool: 4, tablePrefix });
  const state = await again.open();
  const reopenS = seconds(t2);
  await again.close();
  console.log(
    `${type.padEnd(8)} appends ${Math.round(N / appendS)}/s (${N} batches of 1 add, ${s.transactions} transactions, ${(s.batches / s.transactions).toFixed(1)} batches each)` +
      `  acks ${Math.round(N / ackS)}/s (${acks.transactions - s.transactions} transactions)  reopen ${(reopenS * 1000).toFixed(0)} ms, ${state.messages.length} live`,
  );
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${cpus().length}x ${cpus()[0]?.model ?? '?'}, load ${loadavg()[0]?.toFixed(2)}; ${N} batches, ${IN_FLIGHT} in flight`);
  if (url !== undefined) return run(url.startsWith('postgres') ? 'postgres' : 'mysql', url);
  const fsync = !args.includes('--fsync-off');
  for (const [type, start] of [
    ['postgres', () => startPostgres({ fsync })],
    ['mysql', () => startMariaDb()],
  ] as const) {
    if (only !== undefined && only !== type) continue;
    let server: DbServer | undefined;
    try {
      server = await start();
      await run(type, server.url);
    } finally {
      await server?.destroy();
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
