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
import { RawStomp } from './stomp-client.js';

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
  // A queue and bodies of this run only: nothing of another run (another test file in parallel)
  // can be counted here, nor take our messages.
  const run = `${s.label.replace(/\W+/g, '-')}-${process.pid}-${Date.now().toString(36)}`;
  const queue = `/queue/ha.failover.${run}`;
  const seen = new Map<string, number>();
  const consumer = await FerryClient.connect(uri);
  const producer = await FerryClient.connect(uri);
  const takeoversMs: number[] = [];
  const reconnects = { producer: 0, consumer: 0 };
  producer.on('connected', () => reconnects.producer++);
  consumer.on('connected', () => reconnects.consumer++);
  try {
    await consumer.subscribe(
      queue,
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
      const body = `${run}:${i}`;
      await producer.send(queue, body, { persistent: true });
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
    if (missing.length > 0) {
      console.log(`# ${s.label}: DIAGNOSIS ${await diagnose(master, queue, new Set(missing), consumer)}; reconnects: producer ${reconnects.producer}, consumer ${reconnects.consumer}`);
      for (const n of [...s.nodes, ...nodes]) {
        const warnings = n.output().split('\n').filter((l) => /"level":(4|5|6)0/.test(l) || /^(stepping|standby|listening)/.test(l));
        console.log(`# --- ${n.name} (pid ${n.pid}):\n${warnings.slice(-40).map((l) => `#   ${l.slice(0, 400)}`).join('\n')}`);
      }
    }
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

/**
 * Where did messages that never reached the application go? Reads the queue on the master with a
 * plain STOMP consumer: found there = stored but held back by the client; not found = gone from
 * the broker. Printed when the scenario fails, with the client's own state.
 */
async function diagnose(master: ClusterNode, queue: string, missing: ReadonlySet<string>, consumer: FerryClient): Promise<string> {
  const c = await RawStomp.connect(master.port);
  try {
    await c.subscribe(queue, { ack: 'auto' });
    await c.subscribe('/queue/ActiveMQ.DLQ', { ack: 'auto', id: 'dlq' });
    const deadline = Date.now() + 3000;
    const found = new Set<string>();
    let total = 0;
    while (Date.now() < deadline) {
      const f = await c.next((x) => x.command === 'MESSAGE', Math.max(1, deadline - Date.now())).catch(() => undefined);
      if (f === undefined) break;
      total++;
      const body = f.body.toString();
      if (missing.has(body)) found.add(`${body}${f.headers.get('subscription') === 'dlq' ? ' (DLQ)' : ''}`);
    }
    return `${missing.size} missing; a plain consumer on ${master.name} then read ${total} messages, ${found.size} of the missing (e.g. ${[...found].slice(0, 3).join(', ')}); client connected to ${consumer.connectedUri ?? 'nothing'}`;
  } finally {
    c.close();
  }
}
