/**
 * The @stomp/stompjs interop scenarios, written once and run over each transport (WebSocket and
 * TCP) by test/interop/stompjs-*.test.ts. Each scenario takes the broker's port for that transport
 * and uses fresh destination names, so scenarios can share one broker.
 */
import assert from 'node:assert/strict';
import { connectStompjs, type StompjsConnection, type StompjsTransport } from './stompjs-client.js';

/**
 * Heart-beat period both sides ask for in the heart-beat scenario; the broker under test must be
 * started with `stomp: { heartbeatMinimum: HEARTBEAT_MS }`.
 */
export const HEARTBEAT_MS = 200;
/** Idle time long enough that a broken heart-beat on either side would drop the connection. */
const IDLE_MS = 1200;

/** Long enough for a wrongly delivered message to show up on loopback, short enough for CI. */
export const QUIET_MS = 250;

let destSeq = 0;
/** A destination name no other scenario uses. */
export function uniqueName(prefix: string): string {
  return `interop.${prefix}.${process.pid}.${++destSeq}`;
}

/** Runs `body` with connections that are always closed afterwards, even when it throws. */
async function withConnections(open: Array<() => Promise<StompjsConnection>>, body: (c: StompjsConnection[]) => Promise<void>): Promise<void> {
  const conns: StompjsConnection[] = [];
  try {
    for (const o of open) conns.push(await o());
    await body(conns);
  } finally {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  }
}

export type Scenario = (t: StompjsTransport) => Promise<void>;

export const stompjsScenarios: Record<string, Scenario> = {
  'connects with STOMP 1.2 and round-trips a queue message with its headers': async (t) => {
    await withConnections([() => connectStompjs(t)], async ([c]) => {
      const conn = c!;
      const q = `/queue/${uniqueName('headers')}`;
      const sub = await conn.subscribeConfirmed(q);
      // Values that need STOMP 1.2 header escaping (colon, backslash, newline) must survive.
      // (Not a backslash before c, n or r: stompjs 7 unescapes with chained regex replaces, so
      // it turns its own correctly escaped `\\c` into `\:`; that is the client's bug, not ours.)
      const custom = { 'x-plain': 'hello', 'x-escaped': 'a:b\\ c\nd', 'x-unicode': 'żółć ✓', 'correlation-id': 'corr-1' };
      await conn.publishConfirmed({ destination: q, body: 'text body ✓', headers: { ...custom, 'content-type': 'text/plain', priority: '7' } });
      const m = await sub.messages.next(undefined, undefined, 'the queue message');
      assert.equal(m.body, 'text body ✓');
      for (const [k, v] of Object.entries(custom)) assert.equal(m.headers[k], v, `header ${k}`);
      assert.equal(m.headers['content-type'], 'text/plain');
      assert.equal(m.headers['priority'], '7');
      assert.equal(m.headers['destination'], q);
      assert.equal(m.headers['subscription'], sub.subscription.id);
      assert.ok(m.headers['message-id'], 'message-id header');
      assert.ok(m.headers['ack'], 'STOMP 1.2 MESSAGE carries an ack header');
      assert.equal(m.headers['content-length'], String(Buffer.byteLength('text body ✓')));
    });
  },

  'publishes to a topic and every current subscriber gets it': async (t) => {
    await withConnections([() => connectStompjs(t), () => connectStompjs(t)], async ([a, b]) => {
      const topic = `/topic/${uniqueName('fanout')}`;
      // Published before anyone subscribes: a topic keeps nothing for later subscribers.
      await a!.publishConfirmed({ destination: topic, body: 'too early' });
      const sa = await a!.subscribeConfirmed(topic);
      const sb = await b!.subscribeConfirmed(topic);
      await b!.publishConfirmed({ destination: topic, body: 'to all', headers: { 'x-n': '1' } });
      const [ma] = await sa.messages.take(1);
      const [mb] = await sb.messages.take(1);
      assert.equal(ma!.body, 'to all');
      assert.equal(mb!.body, 'to all');
      assert.equal(ma!.headers['x-n'], '1');
      assert.deepEqual(await sa.messages.quiet(QUIET_MS), [], 'exactly one copy, and not the early one');
    });
  },

  'round-trips a binary body with every byte value': async (t) => {
    await withConnections([() => connectStompjs(t)], async ([c]) => {
      const conn = c!;
      const q = `/queue/${uniqueName('binary')}`;
      const sub = await conn.subscribeConfirmed(q);
      const bytes = new Uint8Array(1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
      bytes[0] = 0; // a NUL inside the body: only content-length can frame it
      await conn.publishConfirmed({ destination: q, binaryBody: bytes, headers: { 'content-type': 'application/octet-stream' } });
      const m = await sub.messages.next(undefined, undefined, 'the binary message');
      assert.equal(m.headers['content-type'], 'application/octet-stream');
      assert.deepEqual(Buffer.from(m.binaryBody), Buffer.from(bytes));
    });
  },

  'client-individual ack and nack: a nacked message comes back redelivered, acked ones do not': async (t) => {
    const q = `/queue/${uniqueName('ack')}`;
    await withConnections([() => connectStompjs(t)], async ([c]) => {
      const conn = c!;
      const sub = await conn.subscribeConfirmed(q, { ack: 'client-individual' });
      for (const n of ['m1', 'm2', 'm3']) await conn.publishConfirmed({ destination: q, body: n, headers: { persistent: 'true' } });
      const [m1, m2, m3] = await sub.messages.take(3);
      assert.deepEqual([m1!.body, m2!.body, m3!.body], ['m1', 'm2', 'm3']);
      // Ack out of order (client-individual acks exactly one message) and with receipts.
      let r = conn.expectReceipt();
      m2!.ack({ receipt: r.id });
      await r.receipt;
      r = conn.expectReceipt();
      m1!.nack({ receipt: r.id });
      await r.receipt;
      const again = await sub.messages.next(undefined, undefined, 'the redelivery of m1');
      assert.equal(again.body, 'm1');
      assert.equal(again.headers['redelivered'], 'true');
      r = conn.expectReceipt();
      again.ack({ receipt: r.id });
      await r.receipt;
      // m3 stays unacknowledged: it goes back to the queue when this connection closes.
      void m3;
    });
    await withConnections([() => connectStompjs(t)], async ([c]) => {
      const sub = await c!.subscribeConfirmed(q, { ack: 'client' });
      const [m] = await sub.messages.take(1, undefined, 'the unacked m3');
      assert.equal(m!.body, 'm3');
      assert.equal(m!.headers['redelivered'], 'true');
      const r = c!.expectReceipt();
      m!.ack({ receipt: r.id });
      await r.receipt;
      assert.deepEqual(await sub.messages.quiet(QUIET_MS), [], 'm1 and m2 were acknowledged for good');
    });
  },

  'cumulative client ack acknowledges every earlier message': async (t) => {
    const q = `/queue/${uniqueName('cumulative')}`;
    await withConnections([() => connectStompjs(t)], async ([c]) => {
      const sub = await c!.subscribeConfirmed(q, { ack: 'client' });
      for (let i = 0; i < 5; i++) await c!.publishConfirmed({ destination: q, body: `c${i}` });
      const ms = await sub.messages.take(5);
      const r = c!.expectReceipt();
      ms[3]!.ack({ receipt: r.id }); // covers c0..c3; c4 stays unacknowledged
      await r.receipt;
    });
    await withConnections([() => connectStompjs(t)], async ([c]) => {
      const sub = await c!.subscribeConfirmed(q);
      const [m] = await sub.messages.take(1);
      assert.equal(m!.body, 'c4');
      assert.deepEqual(await sub.messages.quiet(QUIET_MS), []);
    });
  },

  'transactions: committed sends arrive at COMMIT, aborted sends never, aborted acks are undone': async (t) => {
    const q = `/queue/${uniqueName('tx')}`;
    await withConnections([() => connectStompjs(t), () => connectStompjs(t)], async ([producer, consumer]) => {
      const sub = await consumer!.subscribeConfirmed(q, { ack: 'client-individual' });
      const tx = producer!.client.begin();
      producer!.client.publish({ destination: q, body: 'tx-1', headers: { transaction: tx.id } });
      await producer!.publishConfirmed({ destination: q, body: 'tx-2', headers: { transaction: tx.id } });
      assert.deepEqual(await sub.messages.quiet(QUIET_MS), [], 'nothing is delivered before COMMIT');
      tx.commit();
      const got = await sub.messages.take(2, undefined, 'the committed messages');
      assert.deepEqual(got.map((m) => m.body), ['tx-1', 'tx-2']);

      const aborted = producer!.client.begin();
      await producer!.publishConfirmed({ destination: q, body: 'never', headers: { transaction: aborted.id } });
      aborted.abort();
      await producer!.publishConfirmed({ destination: q, body: 'after-abort' });
      const [next] = await sub.messages.take(1);
      assert.equal(next!.body, 'after-abort', 'the aborted send was dropped');

      // Ack inside a transaction: ABORT undoes it, COMMIT makes it stick.
      const ackTx = consumer!.client.begin();
      got[0]!.ack({ transaction: ackTx.id });
      ackTx.abort();
      const commitTx = consumer!.client.begin();
      got[1]!.ack({ transaction: commitTx.id });
      next!.ack({ transaction: commitTx.id });
      commitTx.commit();
      const r = consumer!.expectReceipt();
      consumer!.client.unsubscribe(sub.subscription.id, { receipt: r.id });
      await r.receipt;
    });
    await withConnections([() => connectStompjs(t)], async ([c]) => {
      const sub = await c!.subscribeConfirmed(q);
      const [m] = await sub.messages.take(1, undefined, 'the message whose ack was aborted');
      assert.equal(m!.body, 'tx-1');
      assert.deepEqual(await sub.messages.quiet(QUIET_MS), [], 'committed acks removed tx-2 and after-abort');
    });
  },

  'heart-beats 200/200 keep an idle connection up': async (t) => {
    const conn = await connectStompjs(t, { heartbeatIncoming: HEARTBEAT_MS, heartbeatOutgoing: HEARTBEAT_MS });
    try {
      await new Promise((r) => setTimeout(r, IDLE_MS));
      assert.equal(conn.socketClosed, false, 'the broker kept the idle connection (it saw our heart-beats)');
      assert.equal(conn.heartbeatLost, false, 'stompjs saw the broker heart-beat in time');
      // The broker sends a heart-beat every HEARTBEAT_MS while idle; allow for timer jitter.
      assert.ok(conn.heartbeatsReceived >= 3, `heart-beats received: ${conn.heartbeatsReceived}`);
      assert.equal(conn.client.connected, true);
      const q = `/queue/${uniqueName('after-idle')}`;
      const sub = await conn.subscribeConfirmed(q);
      await conn.publishConfirmed({ destination: q, body: 'still here' });
      assert.equal((await sub.messages.next()).body, 'still here');
    } finally {
      await conn.close();
    }
  },

  'an invalid selector is refused with an ERROR frame that says why': async (t) => {
    const conn = await connectStompjs(t);
    try {
      conn.subscribe(`/queue/${uniqueName('selector')}`, { selector: "color = = 'red'" });
      const err = await conn.errors.next(undefined, undefined, 'the ERROR frame');
      assert.equal(err.command, 'ERROR');
      assert.match(err.headers['message'] ?? '', /selector|syntax|expected|unexpected/i);
      await waitFor(() => conn.socketClosed, 'the broker to close the connection after ERROR');
    } finally {
      await conn.close().catch(() => undefined);
    }
  },
};

/** Polls `cond` every 10 ms until true or `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
