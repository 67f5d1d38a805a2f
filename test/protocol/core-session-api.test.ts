/**
 * The parts of the core's session API that OpenWire needs beyond STOMP: pull mode (prefetch 0),
 * the delivered ack's prefetch extension, acks that reach through an id, poison acks to the DLQ
 * and client-named temporary destinations. Driven through BrokerCore.connect as a head does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BrokerSession } from '../../src/broker/api.js';
import type { Message } from '../../src/broker/message.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { call, Collect, openSession, textMessage } from '../helpers/core-session.js';

let tb: TestBroker;
let n = 0;

function open(): BrokerSession {
  return openSession(tb);
}

function message(s: BrokerSession, queue: string, body: string, kind: 'queue' | 'temp-queue' = 'queue'): Message {
  return textMessage(s, queue, body, { kind });
}

async function fill(queue: string, count: number): Promise<void> {
  const p = open();
  for (let i = 1; i <= count; i++) await call((d) => p.send(message(p, queue, `m${i}`), undefined, d));
  p.close();
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('core: session API for OpenWire', () => {
  before(async () => {
    tb = await startTestBroker();
  });
  after(async () => {
    await tb.stop();
  });

  it('core: prefetch 0 delivers only what pull() asks for; cancelPull tells whether it was still waiting', async () => {
    const q = `pull-${++n}`;
    await fill(q, 3);
    const s = open();
    const sink = new Collect();
    assert.equal(s.subscribe({ id: 'c', destination: { kind: 'queue', name: q }, ackMode: 'client-individual', prefetch: 0 }, sink), undefined);
    await tick();
    assert.equal(sink.got.length, 0, 'nothing is pushed without a pull');
    s.pull('c');
    await tick();
    assert.deepEqual(sink.bodies(), ['m1']);
    assert.equal(s.cancelPull('c'), false, 'the pull was filled');
    s.pull('c');
    s.pull('c');
    await tick();
    assert.deepEqual(sink.bodies(), ['m1', 'm2', 'm3']);
    s.pull('c');
    await tick();
    assert.equal(s.cancelPull('c'), true, 'an empty queue leaves the pull waiting');
    await fill(q, 1);
    await tick();
    assert.equal(sink.got.length, 3, 'a cancelled pull delivers nothing later');
    s.close();
  });

  it('core: a delivered ack extends the prefetch window until the messages are acked', async () => {
    const q = `extend-${++n}`;
    await fill(q, 6);
    const s = open();
    const sink = new Collect();
    s.subscribe({ id: 'c', destination: { kind: 'queue', name: q }, ackMode: 'client-individual', prefetch: 2 }, sink);
    await tick();
    assert.equal(sink.got.length, 2);
    s.delivered(sink.got[1]!.ackId);
    await tick();
    assert.equal(sink.got.length, 4, 'two delivered-acked messages no longer hold back dispatch');
    await call((d) => s.ack(sink.got[3]!.ackId, undefined, d, 'through'));
    await tick();
    assert.equal(sink.got.length, 6);
    s.close();
    // Acked through m4: only m5 and m6 come back.
    const again = open();
    const sink2 = new Collect();
    again.subscribe({ id: 'c', destination: { kind: 'queue', name: q }, ackMode: 'client-individual' }, sink2);
    await tick();
    assert.deepEqual(sink2.bodies(), ['m5', 'm6']);
    assert.ok(sink2.got.every((d) => d.redelivered));
    again.close();
  });

  it('core: a poison ack moves the message to the DLQ with its cause, in a transaction at commit', async () => {
    const q = `poison-${++n}`;
    await fill(q, 2);
    const s = open();
    const sink = new Collect();
    s.subscribe({ id: 'c', destination: { kind: 'queue', name: q }, ackMode: 'client-individual' }, sink);
    await tick();
    await call((d) => s.deadLetter(sink.got[0]!.ackId, 'java.lang.Throwable: boom', undefined, d));
    assert.equal(s.begin('tx1'), undefined);
    await call((d) => s.deadLetter(sink.got[1]!.ackId, 'second', 'tx1', d));
    const dlq = open();
    const dead = new Collect();
    dlq.subscribe({ id: 'd', destination: { kind: 'queue', name: 'ActiveMQ.DLQ' }, ackMode: 'auto', selector: `originalDestination = 'queue://${q}'` }, dead);
    await tick();
    assert.deepEqual(dead.bodies(), ['m1']);
    assert.equal(dead.got[0]!.message.properties?.get('dlqDeliveryFailureCause')?.value, 'java.lang.Throwable: boom');
    await call((d) => s.commit('tx1', d));
    await tick();
    assert.deepEqual(dead.bodies(), ['m1', 'm2']);
    s.close();
    dlq.close();
  });

  it('core: unsubscribe returns prefetched-but-unseen deliveries unmarked, seen ones redelivered', async () => {
    const q = `unseen-${++n}`;
    await fill(q, 3);
    const s = open();
    const sink = new Collect();
    s.subscribe({ id: 'c', destination: { kind: 'queue', name: q }, ackMode: 'client-individual' }, sink);
    await tick();
    assert.equal(sink.got.length, 3);
    // The application saw m1 only; m2 and m3 sat in the client's prefetch buffer.
    assert.equal(s.unsubscribe('c', [sink.got[1]!.ackId, sink.got[2]!.ackId]), undefined);
    const again = new Collect();
    s.subscribe({ id: 'd', destination: { kind: 'queue', name: q }, ackMode: 'client-individual' }, again);
    await tick();
    assert.deepEqual(again.bodies(), ['m1', 'm2', 'm3']);
    assert.deepEqual(again.got.map((d) => d.redeliveryCount), [1, 0, 0]);
    s.close();
  });

  it('core: client-named temporary queues: owner only consumes, others send, delete refused while in use', async () => {
    const owner = open();
    const other = open();
    const temp = { kind: 'temp-queue' as const, name: `ID:client-host-1:${++n}:1` };
    assert.equal(owner.createTemporary(temp), undefined);
    assert.equal(owner.createTemporary(temp), undefined, 'idempotent');
    assert.match(String(other.createTemporary(temp)?.message), /belongs to another connection/);
    const sink = new Collect();
    assert.match(String(other.subscribe({ id: 'x', destination: temp, ackMode: 'auto' }, new Collect())?.message), /another connection/);
    assert.equal(owner.subscribe({ id: 'r', destination: temp, ackMode: 'auto' }, sink), undefined);
    await call((d) => other.send(message(other, temp.name, 'reply', 'temp-queue'), undefined, d));
    await tick();
    assert.deepEqual(sink.bodies(), ['reply']);
    assert.equal(owner.deleteTemporary(temp)?.code, 'DESTINATION_IN_USE');
    assert.equal(other.deleteTemporary(temp)?.code, 'INVALID_DESTINATION');
    owner.unsubscribe('r');
    assert.equal(owner.deleteTemporary(temp), undefined);
    await assert.rejects(call((d) => other.send(message(other, temp.name, 'late', 'temp-queue'), undefined, d)), /does not exist/);
    owner.close();
    other.close();
  });
});
