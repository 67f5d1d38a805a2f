/**
 * Master/slave on a shared database: two brokers on PostgreSQL, two on MariaDB (real servers
 * started here), each with its own local data directory. A failover producer and consumer move
 * 10,000 persistent messages; the master is killed (SIGKILL) mid-stream, restarted (it comes back
 * as the standby), then the new master is killed. Every receipted message is consumed, none twice;
 * the takeovers are printed. Then a master whose database sessions are cut stops serving at once,
 * a master paused past its lease, resumed, writes no row and receipts nothing, and a master paused
 * inside a write transaction (holding a shared lock on the lock row) is still replaced.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ClusterNode } from '../helpers/ha-cluster.js';
import { runFailoverScenario } from '../helpers/failover-scenario.js';
import { startMariaDb, startPostgres, type DbServer } from '../helpers/db-servers.js';
import { localPortsTo } from '../helpers/proc-sockets.js';
import { bodies, RawStomp } from '../helpers/stomp-client.js';

const root = mkdtempSync(join(tmpdir(), 'ferrymq-ha-sql-'));
const nodes: ClusterNode[] = [];
after(async () => {
  for (const n of nodes) await n.kill9();
  rmSync(root, { recursive: true, force: true });
});

for (const [type, start] of [
  ['postgres', startPostgres],
  ['mysql', startMariaDb],
] as const) {
  describe(`ha: two brokers on ${type}`, () => {
    let server: DbServer;
    before(async () => {
      server = await start();
    });
    after(() => server?.destroy());

    /** A node of the group: its own data directory (log, temp spill), the shared database. */
    const startNode = async (name: string, prefix: string, port?: number): Promise<ClusterNode> => {
      const node = await ClusterNode.start({
        dir: join(root, type),
        name,
        port,
        dataDirectory: join(root, type, name),
        store: ['  type: ' + type, `  url: ${JSON.stringify(server.url)}`, `  tablePrefix: ${prefix}`],
      });
      nodes.push(node);
      return node;
    };

    /** Kills the nodes of the previous test, then starts a master and a standby on fresh tables. */
    const freshPair = async (master: string, standby: string, prefix: string): Promise<[ClusterNode, ClusterNode]> => {
      for (const n of nodes.splice(0)) await n.kill9();
      const a = await startNode(master, prefix);
      await a.master();
      const b = await startNode(standby, prefix);
      await b.waitFor(/^standby: /m);
      return [a, b];
    };

    test(`ha: ${type}: master killed, restarted as standby, new master killed: every receipted message consumed once`, async () => {
      const a = await startNode('alpha', 'FAILOVER_');
      await a.master();
      const b = await startNode('beta', 'FAILOVER_');
      await b.waitFor(/^standby: the master lock is held by broker alpha/m);
      const result = await runFailoverScenario({
        nodes: [a, b],
        messages: 10_000,
        killAt: [0.3, 0.65],
        label: type,
        restart: async (killed) => startNode(killed.name, 'FAILOVER_', killed.port),
      });
      console.log(`# ${type}: takeovers ${result.takeoversMs.map((ms) => `${Math.round(ms)} ms`).join(', ')}`);
    });

    test(`ha: ${type}: a master whose database sessions are cut steps down at once; the standby serves`, async () => {
      const [a, b] = await freshPair('gamma', 'delta', 'CUT_');
      // Terminate exactly the master's sessions (its lock connection and its store pool).
      const ports = localPortsTo(a.pid, server.port);
      assert.ok(ports.length >= 2, `the master has its lock and store connections (${ports.join(', ')})`);
      const admin = await server.admin();
      try {
        if (type === 'postgres') {
          await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [ports]);
        } else {
          const rows = await admin.query('SELECT ID, HOST FROM information_schema.PROCESSLIST');
          for (const r of rows) {
            if (ports.includes(Number(String(r['HOST']).split(':')[1]))) await admin.query(`KILL ${Number(r['ID'])}`).catch(() => undefined);
          }
        }
      } finally {
        await admin.close();
      }
      const cut = performance.now();
      await a.waitFor(/^stepping down: /m, 10_000);
      await b.master(10_000);
      console.log(`# ${type}: standby serving ${Math.round(performance.now() - cut)} ms after the master's sessions were cut`);
      // The old master reconnects as a standby behind the new one.
      await a.waitFor(/^standby: the master lock is held by broker delta/m, 10_000);
      assert.equal(await a.accepting(), false);
    });

    test(`ha: ${type}: a master paused past its lease is replaced; resumed, it writes no row and receipts nothing`, async () => {
      const [a, b] = await freshPair('epsilon', 'zeta', 'PAUSE_');
      const producer = await RawStomp.connect(a.port);
      for (let i = 1; i <= 50; i++) await producer.publish('/queue/pause.sql', `before-${i}`, { persistent: 'true' });
      a.signal('SIGSTOP');
      for (let i = 1; i <= 20; i++) producer.send('SEND', { destination: '/queue/pause.sql', persistent: 'true', receipt: `late-${i}` }, `late-${i}`);
      await b.master(20_000);
      const rows = async (): Promise<unknown[]> => {
        const admin = await server.admin();
        try {
          return await admin.query('SELECT id FROM PAUSE_MESSAGES ORDER BY id');
        } finally {
          await admin.close();
        }
      };
      const before = await rows();
      assert.equal(before.length, 50);
      a.signal('SIGCONT');
      await a.waitFor(/^stepping down: /m, 10_000);
      await producer.waitClosed(10_000);
      assert.deepEqual(
        producer.frames.filter((f) => f.command === 'RECEIPT' && (f.headers.get('receipt-id') ?? '').startsWith('late-')),
        [],
        'no receipt for what the paused master found in its socket',
      );
      await a.waitFor(/^standby: the master lock is held by broker zeta/m, 10_000);
      assert.deepEqual(await rows(), before, 'the resumed old master wrote no row');
      const consumer = await RawStomp.connect(b.port);
      await consumer.subscribe('/queue/pause.sql');
      assert.deepEqual(bodies(await consumer.messages(50, undefined, 15_000)), Array.from({ length: 50 }, (_, i) => `before-${i + 1}`));
      await consumer.expectNoMessage(300);
      consumer.close();
    });

    test(`ha: ${type}: a master paused inside a write transaction does not hold up the takeover`, async () => {
      const [a, b] = await freshPair('eta', 'theta', 'MIDTX_');
      const producer = await RawStomp.connect(a.port);
      await producer.publish('/queue/midtx', 'warm-up', { persistent: 'true' });
      const blocker = await server.admin();
      const admin = await server.admin();
      try {
        // Hold the id high-water row: the master's next write transaction (which starts with a
        // shared-lock read of the lock row) waits on it, with its transaction open.
        await blocker.query('BEGIN');
        await blocker.query("SELECT meta_value FROM MIDTX_META WHERE meta_key = 'next_id' FOR UPDATE");
        producer.send('SEND', { destination: '/queue/midtx', persistent: 'true', receipt: 'stuck' }, 'stuck');
        const ports = localPortsTo(a.pid, server.port);
        const waiting = async (): Promise<boolean> => {
          if (type === 'postgres') {
            const rows = await admin.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND client_port = ANY($1::int[])", [ports]);
            return rows.length > 0;
          }
          const rows = await admin.query("SELECT HOST AS host FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Sleep' AND (STATE LIKE '%lock%' OR STATE IN ('Updating', 'Searching rows for update'))");
          return rows.some((r) => ports.includes(Number(String(r['host']).split(':')[1])));
        };
        const deadline = Date.now() + 10_000;
        while (!(await waiting())) {
          assert.ok(Date.now() < deadline, "the master's write transaction waits on the held row");
          await new Promise((r) => setTimeout(r, 20));
        }
        // Pause the master inside that transaction, then let its statement finish: the
        // transaction stays open (COMMIT is the paused client's next statement), idle, holding
        // its shared lock on the lock row.
        a.signal('SIGSTOP');
        const paused = performance.now();
        await blocker.query('COMMIT');
        await b.master(15_000);
        console.log(`# ${type}: takeover from a master paused inside a write transaction: ${Math.round(performance.now() - paused)} ms`);
        a.signal('SIGCONT');
        await a.waitFor(/^stepping down: /m, 10_000);
        assert.equal(
          producer.frames.some((f) => f.command === 'RECEIPT' && f.headers.get('receipt-id') === 'stuck'),
          false,
          'the paused master never receipted the write it was in the middle of',
        );
      } finally {
        a.signal('SIGCONT');
        producer.close();
        await blocker.query('ROLLBACK').catch(() => undefined);
        await Promise.all([blocker.close(), admin.close()]);
      }
    });
  });
}
