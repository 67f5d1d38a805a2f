/**
 * The HA scenario every master/slave shape runs (shared directory, PostgreSQL, MariaDB): a failover
 * producer sends N persistent messages with receipts while a failover consumer acks them; the
 * master is killed with SIGKILL mid-stream, then the next master, each takeover timed. At the end
 * every receipted message must have reached the application exactly once.
 */
import assert from 'node:assert/strict';
import { FerryClient } from '../../src/client/index.js';
import type { ReceivedMessage } from '../../src/client/index.js';
import { findMaster, killAndMeasureTakeover, type ClusterNode } from './ha-cluster.js';

export interface FailoverScenario {
  /** The group, all started; the first to listen is master. */
  readonly nodes: ClusterNode[];
  /** Restarts a killed node (it must come back as a standby): for groups of two. */
  readonly restart?: (killed: ClusterNode) => Promise<ClusterNode>;
  readonly messages: number;
  /** Kill the master when this share of the messages is receipted (one kill each). */
  readonly killAt: readonly number[];
  readonly label: string;
}

export interface ScenarioResult {
  readonly takeoversMs: number[];
  readonly receipted: number;
  readonly delivered: number;
}

/** Persistent sends in flight at once: a steady pipeline, as a real producer service has. */
const IN_FLIGHT = 64;
/** Waiting for the consumer to drain after the last receipt. */
const DRAIN_TIMEOUT_MS = 60_000;

export async function runFailoverScenario(s: FailoverScenario): Promise<ScenarioResult> {
  const uri = `failover:(${s.nodes.map((n) => `stomp://127.0.0.1:${n.port}`).join(',')})?randomize=false&initialReconnectDelay=10&maxReconnectDelay=250`;
  const nodes = [...s.nodes];
  let master = await findMaster(nodes);
  const seen = new Map<string, number>();
  const consumer = await FerryClient.connect(uri);
  const producer = await FerryClient.connect(uri);
  const takeoversMs: number[] = [];
  try {
    await consumer.subscribe(
      '/queue/ha.failover',
      (m: ReceivedMessage) => {
        seen.set(m.text, (seen.get(m.text) ?? 0) + 1);
        m.ack();
      },
      { ack: 'client-individual', prefetch: 200 },
    );
    const receipted = new Set<string>();
    const kills = s.killAt.map((share) => Math.floor(share * s.messages));
    let next = 0;
    let killing: Promise<void> = Promise.resolve();
    const sendOne = async (i: number): Promise<void> => {
      const body = `m-${i}`;
      await producer.send('/queue/ha.failover', body, { persistent: true });
      receipted.add(body);
      if (kills.length > 0 && receipted.size >= (kills[0] as number)) {
        kills.shift();
        killing = killing.then(async () => {
          const others = nodes.filter((n) => n !== master && n.alive);
          const { master: successor, ms } = await killAndMeasureTakeover(master, others);
          console.log(`# ${s.label}: SIGKILL of master ${master.name} at ${receipted.size} receipts; ${successor.name} accepting after ${Math.round(ms)} ms`);
          takeoversMs.push(ms);
          const killed = master;
          master = successor;
          if (s.restart) {
            const back = await s.restart(killed);
            nodes[nodes.indexOf(killed)] = back;
            await back.waitFor(/^standby: /m);
          }
        });
      }
    };
    const workers = Array.from({ length: IN_FLIGHT }, async () => {
      while (next < s.messages) await sendOne(++next);
    });
    await Promise.all(workers);
    await killing;
    assert.equal(receipted.size, s.messages, 'every send was receipted in the end');
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (seen.size < s.messages && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // A last moment for a duplicate in flight to show up.
    await new Promise((r) => setTimeout(r, 500));
    const missing = [...receipted].filter((b) => !seen.has(b));
    const twice = [...seen].filter(([, n]) => n > 1).map(([b, n]) => `${b} x${n}`);
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} receipted messages never consumed`);
    assert.deepEqual(twice.slice(0, 20), [], `${twice.length} messages consumed more than once`);
    assert.equal(seen.size, s.messages);
    assert.equal(takeoversMs.length, s.killAt.length);
    return { takeoversMs, receipted: receipted.size, delivered: seen.size };
  } finally {
    await Promise.all([producer.close().catch(() => undefined), consumer.close().catch(() => undefined)]);
  }
}
