/**
 * Three brokers on one data directory; a failover producer and consumer move 10,000 persistent
 * messages while the master is killed (SIGKILL), then the next master. Every receipted message is
 * consumed, none twice; each takeover is printed. The old masters' records stay behind (kill -9).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ClusterNode } from '../helpers/ha-cluster.js';
import { runFailoverScenario } from '../helpers/failover-scenario.js';

const root = mkdtempSync(join(tmpdir(), 'ferrymq-ha-journal-'));
const nodes: ClusterNode[] = [];
after(async () => {
  for (const n of nodes) await n.kill9();
  rmSync(root, { recursive: true, force: true });
});

test('ha: three brokers on one data directory, master killed twice mid-stream: every receipted message consumed once', async () => {
  const data = join(root, 'data');
  for (const name of ['alpha', 'beta', 'gamma']) {
    const node = await ClusterNode.start({ dir: root, name, dataDirectory: data });
    nodes.push(node);
    if (name === 'alpha') await node.master();
    else await node.waitFor(/^standby: /m);
  }
  const result = await runFailoverScenario({ nodes, messages: 10_000, killAt: [0.3, 0.65], label: 'shared directory' });
  console.log(`# shared directory: takeovers ${result.takeoversMs.map((ms) => `${Math.round(ms)} ms`).join(', ')}`);
});
