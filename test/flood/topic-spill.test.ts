/**
 * Two topic subscriptions that both hold a message past the memory limit each spill it to the
 * temp store. Each must be able to read its copy back after the other one acknowledged its own.
 *
 * Found while flooding (slow-topic.test.ts with a large pendingMessageLimit): the temp store is a
 * journal keyed by message id, both spills use the message's broker seq as id, and a repeated id
 * keeps the first record (journal-index.ts add()). The first subscription's ACK then deletes the
 * only copy, the second's page-in fails with UNKNOWN_MESSAGE, and its dispatch queue retries the
 * same batch every second forever: that subscriber is stuck. Fixed by giving every spill its own
 * temp-store id (QueueEntry.tempId).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestBroker } from '../helpers/broker.js';
import { StompStreamClient } from '../helpers/stomp-stream-client.js';

/** 4 KiB bodies against a 64 KiB limit: all but the first ~15 messages spill. */
const BODY = Buffer.alloc(4096, 's');
const MESSAGES = 100;
const MEMORY_LIMIT = 64 * 1024;
/** Spill writes and temp-store acks are asynchronous: let them land between the phases. */
const SETTLE_MS = 200;
const DRAIN_TIMEOUT_MS = 5000;

/** A client-ack subscriber with prefetch 1 that acks only while `acking` is on. */
class Subscriber {
  readonly seqs: number[] = [];
  acking = false;
  private held: string | undefined;
  /** Set by open() right after CONNECTED. */
  client!: StompStreamClient;

  static async open(port: number, topic: string): Promise<Subscriber> {
    const sub = new Subscriber();
    let ready = false;
    sub.client = await StompStreamClient.connect(port, (f, c) => {
      if (f.command === 'RECEIPT') ready = true;
      if (f.command !== 'MESSAGE') return;
      sub.seqs.push(Number(f.headers.get('seq')));
      const ack = f.headers.get('ack') ?? '';
      if (sub.acking) c.send('ACK', { id: ack });
      else sub.held = ack;
    });
    sub.client.send('SUBSCRIBE', { id: 's', destination: topic, ack: 'client-individual', 'activemq.prefetchSize': '1', receipt: 'sub' });
    await waitFor(() => ready, 'SUBSCRIBE receipt');
    return sub;
  }

  /** Acks what it holds and everything after it; resolves once all MESSAGES arrived. */
  async drain(who: string): Promise<void> {
    this.acking = true;
    if (this.held !== undefined) this.client.send('ACK', { id: this.held });
    await waitFor(() => this.seqs.length >= MESSAGES, () => `${who} got ${this.seqs.length} of ${MESSAGES} (last #${this.seqs.at(-1)})`);
  }
}

function waitFor(cond: () => boolean, what: string | (() => string), timeoutMs = DRAIN_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (cond()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out: ${typeof what === 'string' ? what : what()}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(
  'flood: two topic subscriptions that both spilled a message each read it back after the other acked',
  async () => {
    const tb = await startTestBroker({ limits: { memory: MEMORY_LIMIT } });
    const clients: StompStreamClient[] = [];
    try {
      // Round 1 drains the first subscriber first, round 2 the second: whichever spill the temp
      // store kept, one round acks it away before the other subscriber reads.
      for (const [round, firstDrained] of [
        [1, 0],
        [2, 1],
      ] as const) {
        const topic = `/topic/spill.round${round}`;
        const subs = [await Subscriber.open(tb.port, topic), await Subscriber.open(tb.port, topic)];
        clients.push(...subs.map((s) => s.client));
        let sent = false;
        const producer = await StompStreamClient.connect(tb.port, (f) => {
          if (f.command === 'RECEIPT') sent = true;
        });
        clients.push(producer);
        for (let i = 0; i < MESSAGES; i++) {
          const headers: Record<string, string> = { destination: topic, 'content-length': String(BODY.length), seq: String(i) };
          if (i === MESSAGES - 1) headers.receipt = 'last';
          producer.send('SEND', headers, BODY);
        }
        await waitFor(() => sent, 'receipt of the last SEND');
        await sleep(SETTLE_MS);
        const order = firstDrained === 0 ? [0, 1] : [1, 0];
        for (const k of order) {
          await subs[k]!.drain(`round ${round}, subscriber ${k}`);
          await sleep(SETTLE_MS);
        }
        const all = Array.from({ length: MESSAGES }, (_, i) => i);
        for (const s of subs) assert.deepEqual(s.seqs, all, `round ${round}: every message once, in order`);
      }
    } finally {
      for (const c of clients) c.close();
      await tb.stop();
    }
  },
);
