/**
 * ActiveMQ's own Java JMS client on a `failover:` URI against a FerryMQ master/slave pair (one
 * shared data directory, journal store, file lease). The master is killed (SIGKILL) while a
 * producer connection is in the middle of its persistent sends and a consumer connection is
 * receiving; the standby takes over, both connections reconnect through the failover transport
 * (replaying their sessions, producers and consumers, and the send in flight), and the data proves
 * that nothing was lost and nothing reached the application twice.
 *
 * Producer and consumer are two JVMs (JmsShell answers commands in order, and the producer's
 * `send count` blocks its shell until the last send completes). The consumer is an auto-ack
 * MessageListener, what most JMS services run: the client acks each message after onMessage, so
 * an ack lost in the kill makes the new master deliver that message again, and the application
 * may see it twice only flagged JMSRedelivered (ActiveMQ's connection audit normally suppresses
 * it). Client-side duplicates that are not flagged are failures.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ClusterNode, findMaster, killAndMeasureTakeover } from '../helpers/ha-cluster.js';
import { JmsShell, type JmsEvent, type JmsMessage } from '../helpers/jms-shell.js';
import { freePort } from '../helpers/ports.js';

/** Persistent sync sends in the first case: a few seconds of sending on a 2-core machine. */
const MESSAGES = 3000;
/** Kill the master once the consumer has seen this share of them. */
const KILL_AT = 1 / 3;
/** Second case: transactions of this many sends each. */
const TX_BATCHES = 40;
const TX_BATCH_SIZE = 25;
/** Everything must have arrived this long after the producer is done (prefetch replays after the takeover). */
const DRAIN_MS = 20_000;
/** After the last expected message: time for a duplicate in flight to show up. */
const QUIET_MS = 500;
/** How often the test empties the consumer's inbox. */
const POLL_MS = 50;

const root = mkdtempSync(join(tmpdir(), 'ferrymq-ha-openwire-'));
const data = join(root, 'data');
const nodes: ClusterNode[] = [];
const shells: JmsShell[] = [];
/** Fixed ports per node name: a restarted node keeps its place in the failover URI. */
const ports = new Map<string, { stomp: number; openwire: number }>();
let failoverUrl = '';
/** Which broker was master when: the diagnosis prints it. */
const timeline: string[] = [];
const t0 = Date.now();
const mark = (what: string): void => {
  timeline.push(`+${Date.now() - t0} ms ${what}`);
};

async function distinctPorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

async function startNode(name: string): Promise<ClusterNode> {
  const p = ports.get(name);
  assert.ok(p !== undefined);
  const node = await ClusterNode.start({ dir: root, name, dataDirectory: data, port: p.stomp, openwirePort: p.openwire });
  nodes.push(node);
  return node;
}

before(async () => {
  const [sa, sb, oa, ob] = (await distinctPorts(4)) as [number, number, number, number];
  ports.set('alpha', { stomp: sa, openwire: oa });
  ports.set('beta', { stomp: sb, openwire: ob });
  // Options a user would pick for a quick reconnect; trackMessages and the rest stay ActiveMQ's defaults.
  failoverUrl = `failover:(tcp://127.0.0.1:${oa},tcp://127.0.0.1:${ob})?randomize=false&initialReconnectDelay=50&maxReconnectDelay=500`;
  const alpha = await startNode('alpha');
  await alpha.master();
  mark('alpha master');
  const beta = await startNode('beta');
  await beta.waitFor(/^standby: /m);
  mark('beta standby');
});

after(async () => {
  await Promise.all(shells.map((s) => s.close()));
  for (const n of nodes) await n.kill9();
  rmSync(root, { recursive: true, force: true });
});

async function shell(): Promise<JmsShell> {
  const s = await JmsShell.start({ url: failoverUrl });
  shells.push(s);
  return s;
}

/** A queue of this run only: no other test file can take or add messages. */
function uniqueQueue(label: string): string {
  return `queue://ha.openwire.${label}.${process.pid}.${Date.now().toString(36)}`;
}

/** Receives into `seen` (body -> deliveries) until `done()` or the deadline. */
class Inbox {
  readonly seen = new Map<string, JmsMessage[]>();
  total = 0;

  constructor(
    private readonly consumerShell: JmsShell,
    private readonly consumer: string,
  ) {}

  async poll(): Promise<void> {
    const r = await this.consumerShell.call({ cmd: 'drain', consumer: this.consumer, timeout: POLL_MS, min: 1 });
    for (const m of r.messages) {
      const body = String(m.body);
      const list = this.seen.get(body);
      if (list === undefined) this.seen.set(body, [m]);
      else list.push(m);
      this.total++;
    }
  }

  async until(done: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) await this.poll();
  }

  /** Bodies delivered more than once: flagged (all repeats JMSRedelivered) and unflagged. */
  repeats(): { flagged: string[]; unflagged: string[] } {
    const flagged: string[] = [];
    const unflagged: string[] = [];
    for (const [body, list] of this.seen) {
      if (list.length < 2) continue;
      if (list.slice(1).every((m) => m.redelivered)) flagged.push(`${body} x${list.length}`);
      else unflagged.push(`${body} x${list.length} (redelivered: ${list.map((m) => m.redelivered).join(',')})`);
    }
    return { flagged, unflagged };
  }
}

/** `[0..4, 7, 9..12]` for indexes. */
function ranges(indexes: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < indexes.length; ) {
    let j = i;
    while (j + 1 < indexes.length && (indexes[j + 1] as number) === (indexes[j] as number) + 1) j++;
    out.push(i === j ? `${indexes[i]}` : `${indexes[i]}..${indexes[j]}`);
    i = j + 1;
  }
  return `[${out.slice(0, 30).join(', ')}${out.length > 30 ? ', ...' : ''}]`;
}

/** Printed when a case fails: where the messages are, what the clients and brokers said. */
async function diagnose(label: string, consumerShell: JmsShell, queue: string, run: string, events: JmsEvent[]): Promise<void> {
  const lines = [`# ${label}: DIAGNOSIS`, `#   timeline: ${timeline.join('; ')}`];
  try {
    await consumerShell.call({ cmd: 'session', id: `diag-${run}` });
    const left = await consumerShell.call({ cmd: 'browse', session: `diag-${run}`, dest: queue });
    const dlq = await consumerShell.call({ cmd: 'browse', session: `diag-${run}`, dest: 'queue://ActiveMQ.DLQ', selector: `run = '${run}'` });
    lines.push(`#   still on the queue: ${left.messages.length} (${left.messages.slice(0, 10).map((m) => String(m.body)).join(', ')})`);
    lines.push(`#   on ActiveMQ.DLQ: ${dlq.messages.length} (${dlq.messages.slice(0, 10).map((m) => String(m.body)).join(', ')})`);
  } catch (err) {
    lines.push(`#   browse failed: ${String(err)}`);
  }
  lines.push(`#   client events: ${events.map((e) => `${e.connection ?? ''} ${e.event}${e.error === undefined ? '' : ` ${e.error}`}`).join('; ')}`);
  for (const n of nodes) {
    const interesting = n.output().split('\n').filter((l) => /"level":(4|5|6)0/.test(l) || /^(stepping|standby|listening)/.test(l));
    lines.push(`# --- ${n.name} (pid ${n.pid}, ${n.alive ? 'alive' : 'dead'}):`, ...interesting.slice(-30).map((l) => `#   ${l.slice(0, 400)}`));
  }
  console.log(lines.join('\n'));
}

/** A producer JVM and a consumer JVM on the failover URI; the consumer an auto-ack listener on a queue of this run. */
async function openClients(label: string): Promise<{ run: string; queue: string; producerShell: JmsShell; consumerShell: JmsShell; inbox: Inbox }> {
  const run = `${label}-${process.pid}-${Date.now().toString(36)}`;
  const queue = uniqueQueue(label);
  const [consumerShell, producerShell] = await Promise.all([shell(), shell()]);
  await consumerShell.call({ cmd: 'session', id: 's', ackMode: 'auto' });
  await consumerShell.call({ cmd: 'consumer', id: 'c', session: 's', dest: queue });
  await consumerShell.call({ cmd: 'listener', consumer: 'c' });
  return { run, queue, producerShell, consumerShell, inbox: new Inbox(consumerShell, 'c') };
}

/** Both connections' events since the last call, named by role. */
async function clientEvents(producerShell: JmsShell, consumerShell: JmsShell): Promise<JmsEvent[]> {
  const p = (await producerShell.call({ cmd: 'events' })).events.map((e) => ({ ...e, connection: 'producer' }));
  const c = (await consumerShell.call({ cmd: 'events' })).events.map((e) => ({ ...e, connection: 'consumer' }));
  return [...p, ...c];
}

/** Events that reach a JMS application as an error. */
function applicationErrors(events: readonly JmsEvent[]): JmsEvent[] {
  return events.filter((e) => e.event === 'exception' || e.event === 'transportException' || e.event === 'listenerError' || e.event === 'sendFailure');
}

/**
 * Messages of this run on ActiveMQ.DLQ: a redelivery of an already consumed message (its ack lost
 * in the kill, or a duplicate stored) that the client's connection audit suppressed by poison-acking.
 */
async function deadLettered(consumerShell: JmsShell, run: string): Promise<string[]> {
  await consumerShell.call({ cmd: 'session', id: `dlq-${run}` });
  const r = await consumerShell.call({ cmd: 'browse', session: `dlq-${run}`, dest: 'queue://ActiveMQ.DLQ', selector: `run = '${run}'` });
  await consumerShell.call({ cmd: 'closeSession', session: `dlq-${run}` });
  return r.messages.map((m) => String(m.body));
}

/** Waits until the consumer has seen `share` of `total` (or `stop()`), then SIGKILLs the master and times the takeover. */
async function killMasterAt(inbox: Inbox, total: number, stop: () => boolean): Promise<{ receivedAtKill: number; ms: number }> {
  const master = await findMaster(nodes);
  await inbox.until(() => inbox.total >= total * KILL_AT || stop(), DRAIN_MS);
  assert.equal(stop(), false, `the producer finished before the kill (consumer had ${inbox.total}): nothing was in flight`);
  const receivedAtKill = inbox.total;
  mark(`SIGKILL ${master.name} at ${receivedAtKill} received`);
  const { master: successor, ms } = await killAndMeasureTakeover(master, nodes.filter((n) => n !== master && n.alive));
  mark(`${successor.name} accepting after ${Math.round(ms)} ms`);
  return { receivedAtKill, ms };
}

test('ha: ActiveMQ Java client on failover:, master killed mid-stream of persistent sync sends: every message received, none twice', async () => {
  const { run, queue, producerShell, consumerShell, inbox } = await openClients('persistent');
  await producerShell.call({ cmd: 'session', id: 's' });
  await producerShell.call({ cmd: 'producer', id: 'p', session: 's', dest: queue, deliveryMode: 'persistent' });

  // One long call: MESSAGES persistent sends, each waiting for the broker's response (sync); the
  // kill lands in the middle of it.
  let sendDone = false;
  const sending = producerShell.attempt({ cmd: 'send', producer: 'p', count: MESSAGES, message: { type: 'text', body: 'm-{i}', properties: { run } } }).finally(() => {
    sendDone = true;
  });
  const { receivedAtKill, ms } = await killMasterAt(inbox, MESSAGES, () => sendDone);
  const sent = await sending;
  mark(`producer done (${sent.ok ? `ok, ${sent.count}` : sent.error})`);
  await inbox.until(() => inbox.seen.size >= MESSAGES, DRAIN_MS);
  await inbox.until(() => false, QUIET_MS);
  const events = await clientEvents(producerShell, consumerShell);

  const missing: number[] = [];
  for (let i = 0; i < MESSAGES; i++) if (!inbox.seen.has(`m-${i}`)) missing.push(i);
  const unexpected = [...inbox.seen.keys()].filter((b) => !/^m-\d+$/.test(b) || Number(b.slice(2)) >= MESSAGES);
  const { flagged, unflagged } = inbox.repeats();
  const failures = applicationErrors(events);
  const dlq = await deadLettered(consumerShell, run);
  console.log(
    `# openwire persistent: ${MESSAGES} sent, ${inbox.seen.size} distinct received (${inbox.total} deliveries), kill at ${receivedAtKill} received, ` +
      `takeover ${Math.round(ms)} ms, flagged redeliveries ${flagged.length}, suppressed by the client (DLQ) ${dlq.length}${dlq.length > 0 ? ` (${dlq.slice(0, 5).join(', ')})` : ''}, ` +
      `producer interruptions ${events.filter((e) => e.connection === 'producer' && e.event === 'transportInterrupted').length}`,
  );
  if (!sent.ok || missing.length > 0 || unflagged.length > 0 || unexpected.length > 0 || failures.length > 0) {
    console.log(`# missing ${missing.length}: ${ranges(missing)}; unflagged duplicates ${unflagged.length}: ${unflagged.slice(0, 10).join(', ')}; unexpected: ${unexpected.slice(0, 10).join(', ')}`);
    await diagnose('openwire persistent', consumerShell, queue, run, events);
  }
  assert.ok(sent.ok, `the producer's send failed: ${sent.ok ? '' : sent.error}`);
  assert.equal(sent.count, MESSAGES);
  assert.deepEqual(failures, [], 'no exception reached the application');
  assert.ok(
    events.some((e) => e.connection === 'producer' && e.event === 'transportInterrupted'),
    'the producer connection went through a failover',
  );
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} messages never received`);
  assert.deepEqual(unflagged.slice(0, 20), [], `${unflagged.length} messages received twice without JMSRedelivered`);
  assert.deepEqual(unexpected, []);
});

test('ha: ActiveMQ Java client on failover:, master killed during transacted sends: every transaction received whole, never half', async () => {
  // The killed master comes back as the standby (same ports), so the pair can fail over again.
  const dead = nodes.filter((n) => !n.alive);
  for (const n of dead) {
    nodes.splice(nodes.indexOf(n), 1);
    const back = await startNode(n.name);
    await back.waitFor(/^standby: /m);
    mark(`${n.name} back as standby`);
  }
  const { run, queue, producerShell, consumerShell, inbox } = await openClients('tx');
  await producerShell.call({ cmd: 'session', id: 'tx', transacted: true });
  await producerShell.call({ cmd: 'producer', id: 'p', session: 'tx', dest: queue, deliveryMode: 'persistent' });

  const total = TX_BATCHES * TX_BATCH_SIZE;
  /** Failed sends or commits: the application rolls back and sends the batch again. */
  const retries: Array<{ batch: number; step: 'send' | 'commit'; error: string }> = [];
  let producing = true;
  const producer = (async () => {
    for (let b = 0; b < TX_BATCHES; b++) {
      for (;;) {
        const sent = await producerShell.attempt({ cmd: 'send', producer: 'p', count: TX_BATCH_SIZE, message: { type: 'text', body: `t-${b}-{i}`, properties: { run } } });
        const done = sent.ok ? await producerShell.attempt({ cmd: 'commit', session: 'tx' }) : sent;
        if (done.ok) break;
        retries.push({ batch: b, step: sent.ok ? 'commit' : 'send', error: done.error });
        await producerShell.attempt({ cmd: 'rollback', session: 'tx' });
      }
    }
  })().finally(() => {
    producing = false;
  });
  const { receivedAtKill, ms } = await killMasterAt(inbox, total, () => !producing);
  await producer;
  mark(`producer done, ${retries.length} retried transaction(s)`);
  await inbox.until(() => inbox.seen.size >= total, DRAIN_MS);
  await inbox.until(() => false, QUIET_MS);
  const events = await clientEvents(producerShell, consumerShell);

  // Per batch: how often each of its messages arrived. A transaction is all or nothing, so all
  // its messages arrived equally often: once, or twice when its commit failed in doubt (committed
  // on the old master, its reply lost) and the application sent the batch again.
  const counts = (b: number): number[] => Array.from({ length: TX_BATCH_SIZE }, (_, i) => inbox.seen.get(`t-${b}-${i}`)?.length ?? 0);
  const halves: string[] = [];
  const missing: string[] = [];
  const twice: number[] = [];
  for (let b = 0; b < TX_BATCHES; b++) {
    const c = counts(b);
    if (c.some((n) => n !== c[0])) halves.push(`batch ${b}: ${c.join(',')}`);
    else if (c[0] === 0) missing.push(`batch ${b}`);
    else if ((c[0] as number) > 1) twice.push(b);
  }
  const unexplained = twice.filter((b) => !retries.some((r) => r.batch === b && r.step === 'commit'));
  const badRetries = retries.filter((r) => !/TransactionRolledBackException/.test(r.error));
  const unexpected = [...inbox.seen.keys()].filter((body) => {
    const m = /^t-(\d+)-(\d+)$/.exec(body);
    return m === null || Number(m[1]) >= TX_BATCHES || Number(m[2]) >= TX_BATCH_SIZE;
  });
  const failures = applicationErrors(events);
  console.log(
    `# openwire transacted: ${TX_BATCHES} transactions of ${TX_BATCH_SIZE}, ${inbox.seen.size} distinct received (${inbox.total} deliveries), kill at ${receivedAtKill} received, ` +
      `takeover ${Math.round(ms)} ms, retried: ${retries.map((r) => `batch ${r.batch} ${r.step}: ${r.error.split(':')[0]}`).join('; ') || 'none'}, ` +
      `batches received twice after an in-doubt commit ${twice.length}`,
  );
  if (halves.length > 0 || missing.length > 0 || unexplained.length > 0 || unexpected.length > 0 || failures.length > 0 || badRetries.length > 0) {
    console.log(`# half: ${halves.slice(0, 10).join('; ')}; missing: ${missing.join(', ')}; twice without a failed commit: ${unexplained.join(', ')}; retries: ${JSON.stringify(retries)}`);
    await diagnose('openwire transacted', consumerShell, queue, run, events);
  }
  assert.deepEqual(halves, [], 'a transaction arrived in part');
  assert.deepEqual(missing, [], 'a transaction never arrived');
  assert.deepEqual(unexplained, [], 'a transaction arrived twice though its commit succeeded');
  assert.deepEqual(badRetries, [], 'a send or commit failed with something else than TransactionRolledBackException');
  assert.deepEqual(failures, [], 'no exception reached the application');
  assert.deepEqual(unexpected, []);
  assert.ok(
    events.some((e) => e.connection === 'producer' && e.event === 'transportInterrupted'),
    'the producer connection went through a failover',
  );
});
