/**
 * Interop harness self-test: the JmsShell (ActiveMQ's real Java JMS client, driven from here)
 * against Debian's real ActiveMQ 5.17 broker, so that the OpenWire head's interop tests can trust
 * the harness and blame only FerryMQ. One broker and one shell for the file; each test uses
 * destinations of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startActiveMqBroker, type ActiveMqBroker } from '../helpers/activemq-broker.js';
import { everyMessageType, jms, JMS_PROPERTIES, JmsShell, JmsShellError, uniqueName, type JmsMessage } from '../helpers/jms-shell.js';

/** Long enough for a message already on its way; the broker is local. */
const RECEIVE_MS = 5_000;
/** What "nothing more arrives" waits for. */
const QUIET_MS = 300;

const PROPERTIES = JMS_PROPERTIES;
const unique = uniqueName;

describe('interop: JmsShell against ActiveMQ 5.17', () => {
  let broker: ActiveMqBroker;
  let shell: JmsShell;

  before(async () => {
    broker = await startActiveMqBroker();
    shell = await JmsShell.start({ url: broker.openwireUrl });
    await shell.call({ cmd: 'session', id: 'auto' });
  });
  after(async () => {
    await shell?.close();
    await broker?.stop();
  });

  async function producer(dest: string, session = 'auto'): Promise<string> {
    const id = unique('p');
    await shell.call({ cmd: 'producer', id, session, dest });
    return id;
  }
  async function consumer(dest: string, session = 'auto', extra: { selector?: string } = {}): Promise<string> {
    const id = unique('c');
    await shell.call({ cmd: 'consumer', id, session, dest, ...extra });
    return id;
  }
  async function receive(consumerId: string, count = 1): Promise<JmsMessage[]> {
    const r = await shell.call({ cmd: 'receive', consumer: consumerId, timeout: RECEIVE_MS, count });
    return r.messages ?? [];
  }
  async function nothingMore(consumerId: string): Promise<void> {
    const r = await shell.call({ cmd: 'receive', consumer: consumerId, timeout: QUIET_MS });
    assert.equal(r.count, 0, `unexpected message: ${JSON.stringify(r.messages)}`);
  }

  test('interop: jms-shell sends and receives every message type with typed properties and headers', async () => {
    const q = `queue://${unique('types')}`;
    const p = await producer(q);
    const c = await consumer(q);
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    const sent = everyMessageType('text body', bytes);
    for (const m of sent) {
      await shell.call({
        cmd: 'send',
        producer: p,
        message: { ...m, properties: PROPERTIES, correlationId: 'corr-1', jmsType: 'kind', replyTo: 'queue://replies', groupId: 'g', groupSeq: 3, priority: 7, ttl: 60_000 },
      });
    }
    const got = await receive(c, sent.length);
    assert.deepEqual(
      got.map((m) => m.type),
      sent.map((m) => m.type),
    );
    const [text, byteMsg, map, stream, object, plain] = got;
    assert.equal(text!.body, 'text body');
    assert.equal(byteMsg!.body, bytes.toString('base64'));
    assert.deepEqual(map!.body, { ...PROPERTIES, char: jms.char('x'), raw: jms.bytes(bytes) });
    assert.deepEqual(stream!.body, [jms.int(1), jms.string('two'), jms.double(3.5), jms.bytes(bytes), jms.boolean(false)]);
    assert.equal(object!.object, 'a serialized string');
    assert.equal(object!.objectClass, 'java.lang.String');
    assert.equal(plain!.body, null);
    for (const m of got) {
      for (const [name, value] of Object.entries(PROPERTIES)) assert.deepEqual(m.properties[name], value, `${m.type}: property ${name}`);
      assert.equal(m.destination, q);
      assert.equal(m.correlationId, 'corr-1');
      assert.equal(m.jmsType, 'kind');
      assert.equal(m.replyTo, 'queue://replies');
      assert.equal(m.groupId, 'g');
      assert.equal(m.groupSeq, 3);
      assert.equal(m.priority, 7);
      assert.equal(m.deliveryMode, 'persistent');
      assert.ok(m.expiration > m.timestamp && m.expiration <= m.timestamp + 60_000, `expiration ${m.expiration} vs timestamp ${m.timestamp}`);
      assert.equal(m.redelivered, false);
      assert.equal(m.deliveryCount, 1);
    }
  });

  test('interop: jms-shell count sends number their bodies; a failed command leaves the shell running', async () => {
    const q = `queue://${unique('count')}`;
    const p = await producer(q);
    const sent = await shell.call({ cmd: 'send', producer: p, count: 5, message: { body: 'n{i}', properties: { at: 'i={i}' }, persistent: false } });
    assert.equal(sent.ids?.length, 5);
    const got = await receive(await consumer(q), 5);
    assert.deepEqual(
      got.map((m) => [m.body, m.properties['at']?.value, m.deliveryMode]),
      [0, 1, 2, 3, 4].map((i) => [`n${i}`, `i=${i}`, 'non_persistent']),
    );
    const failed = await shell.attempt({ cmd: 'consumer', id: 'x', session: 'no-such-session', dest: q });
    assert.equal(failed.ok, false);
    assert.match(!failed.ok ? failed.error : '', /IllegalArgumentException: no session no-such-session/);
    await assert.rejects(shell.call({ cmd: 'connect', id: 'bad', url: broker.openwireUrl, options: { noSuchOption: 1 } }), (err: unknown) => {
      assert.ok(err instanceof JmsShellError);
      assert.match(err.message, /unknown connection factory options: \[noSuchOption\]/);
      return true;
    });
    assert.equal((await shell.call({ cmd: 'info' })).brokerName, broker.brokerName);
  });

  test('interop: jms-shell transacted session: rollback discards sends and redelivers receives, commit makes them stick', async () => {
    const q = `queue://${unique('tx')}`;
    await shell.call({ cmd: 'session', id: 'tx', transacted: true });
    const p = await producer(q, 'tx');
    const c = await consumer(q, 'tx');
    await shell.call({ cmd: 'send', producer: p, message: { body: 'rolled back' } });
    await shell.call({ cmd: 'rollback', session: 'tx' });
    await shell.call({ cmd: 'send', producer: p, message: { body: 'committed' } });
    await shell.call({ cmd: 'commit', session: 'tx' });
    const [first] = await receive(c);
    assert.equal(first!.body, 'committed');
    await shell.call({ cmd: 'rollback', session: 'tx' });
    const [again] = await receive(c);
    assert.equal(again!.body, 'committed');
    assert.equal(again!.redelivered, true);
    assert.equal(again!.deliveryCount, 2);
    await shell.call({ cmd: 'commit', session: 'tx' });
    await nothingMore(c);
    await shell.call({ cmd: 'closeSession', session: 'tx' });
  });

  test('interop: jms-shell client ack + recover redelivers with JMSRedelivered and JMSXDeliveryCount', async () => {
    const q = `queue://${unique('client-ack')}`;
    await shell.call({ cmd: 'session', id: 'client', ackMode: 'client' });
    const p = await producer(q);
    await shell.call({ cmd: 'send', producer: p, count: 2, message: { body: 'm{i}' } });
    const c = await consumer(q, 'client');
    const first = await receive(c, 2);
    assert.deepEqual(
      first.map((m) => [m.body, m.redelivered, m.deliveryCount]),
      [
        ['m0', false, 1],
        ['m1', false, 1],
      ],
    );
    await shell.call({ cmd: 'recover', session: 'client' });
    const second = await receive(c, 2);
    assert.deepEqual(
      second.map((m) => [m.body, m.redelivered, m.deliveryCount]),
      [
        ['m0', true, 2],
        ['m1', true, 2],
      ],
    );
    await shell.call({ cmd: 'acknowledge', consumer: c });
    await shell.call({ cmd: 'recover', session: 'client' });
    await nothingMore(c);
    await shell.call({ cmd: 'closeSession', session: 'client' });
  });

  test('interop: jms-shell durable subscriber keeps messages while away and unsubscribes', async () => {
    const topic = `topic://${unique('durable')}`;
    await shell.call({ cmd: 'connect', id: 'durable', url: broker.openwireUrl, clientId: unique('client'), start: true });
    await shell.call({ cmd: 'session', id: 'ds', connection: 'durable' });
    await shell.call({ cmd: 'consumer', id: 'sub', session: 'ds', dest: topic, durable: 'sub-1' });
    const p = await producer(topic);
    await shell.call({ cmd: 'send', producer: p, message: { body: 'while online' } });
    assert.equal((await receive('sub'))[0]!.body, 'while online');
    await shell.call({ cmd: 'closeConsumer', consumer: 'sub' });
    await shell.call({ cmd: 'send', producer: p, message: { body: 'while away' } });
    // Removing an active subscription fails; ActiveMQ answers with an ExceptionResponse.
    await shell.call({ cmd: 'consumer', id: 'sub', session: 'ds', dest: topic, durable: 'sub-1' });
    assert.equal((await receive('sub'))[0]!.body, 'while away');
    const busy = await shell.attempt({ cmd: 'unsubscribe', session: 'ds', name: 'sub-1' });
    assert.equal(busy.ok, false);
    assert.match(!busy.ok ? busy.error : '', /JMSException: Durable consumer is in use/);
    await shell.call({ cmd: 'closeConsumer', consumer: 'sub' });
    await shell.call({ cmd: 'unsubscribe', session: 'ds', name: 'sub-1' });
    await shell.call({ cmd: 'send', producer: p, message: { body: 'after unsubscribe' } });
    await shell.call({ cmd: 'consumer', id: 'sub', session: 'ds', dest: topic, durable: 'sub-1' });
    await nothingMore('sub');
    await shell.call({ cmd: 'closeConsumer', consumer: 'sub' });
    await shell.call({ cmd: 'unsubscribe', session: 'ds', name: 'sub-1' });
    await shell.call({ cmd: 'closeConnection', connection: 'durable' });
  });

  test('interop: jms-shell request/reply over a temp queue, replying to JMSReplyTo', async () => {
    const service = `queue://${unique('service')}`;
    await shell.call({ cmd: 'session', id: 'server' });
    const requests = await consumer(service, 'server');
    const { name } = await shell.call({ cmd: 'tempQueue', session: 'auto', id: 'replies' });
    assert.match(name, /^temp-queue:\/\/ID:/);
    const replies = await consumer('temp-queue://replies');
    const p = await producer(service);
    await shell.call({ cmd: 'send', producer: p, message: { body: 'ping', replyTo: 'temp-queue://replies', correlationId: 'c-42' } });
    const [request] = await receive(requests);
    assert.equal(request!.replyTo, name);
    await shell.call({ cmd: 'producer', id: 'answer', session: 'server' });
    await shell.call({ cmd: 'send', producer: 'answer', dest: request!.replyTo!, message: { body: 'pong', correlationId: request!.correlationId! } });
    const [reply] = await receive(replies);
    assert.deepEqual([reply!.body, reply!.correlationId, reply!.destination], ['pong', 'c-42', name]);
    await shell.call({ cmd: 'closeConsumer', consumer: replies });
    await shell.call({ cmd: 'deleteTemp', id: 'replies' });
  });

  test('interop: jms-shell browser sees queued messages (with a selector) without consuming them; listener drains', async () => {
    const q = `queue://${unique('browse')}`;
    const p = await producer(q);
    await shell.call({ cmd: 'send', producer: p, count: 4, message: { body: 'b{i}', properties: { n: 'v{i}' } } });
    const all = await shell.call({ cmd: 'browse', session: 'auto', dest: q });
    assert.deepEqual(
      all.messages.map((m) => m.body),
      ['b0', 'b1', 'b2', 'b3'],
    );
    const some = await shell.call({ cmd: 'browse', session: 'auto', dest: q, selector: "n IN ('v1', 'v3')" });
    assert.deepEqual(
      some.messages.map((m) => m.body),
      ['b1', 'b3'],
    );
    // JMS: a session with a MessageListener delivers asynchronously only (receive would throw).
    await shell.call({ cmd: 'session', id: 'async' });
    const c = await consumer(q, 'async');
    await shell.call({ cmd: 'listener', consumer: c });
    const drained = await shell.call({ cmd: 'drain', consumer: c, min: 4, timeout: RECEIVE_MS });
    assert.deepEqual(
      drained.messages.map((m) => m.body),
      ['b0', 'b1', 'b2', 'b3'],
    );
    assert.deepEqual((await shell.call({ cmd: 'browse', session: 'auto', dest: q })).messages, []);
  });

  test('interop: jms-shell XA: a prepared and committed branch delivers, a rolled-back one does not, an unknown xid is XAER_NOTA', async () => {
    const q = `queue://${unique('xa')}`;
    await shell.call({ cmd: 'connect', id: 'xa', url: broker.openwireUrl, xa: true, start: true });
    await shell.call({ cmd: 'xaSession', id: 'xs', connection: 'xa' });
    await shell.call({ cmd: 'producer', id: 'xa-out', session: 'xs', dest: q });
    const xid = (n: number): { formatId: number; gtrid: string; bqual: string } => ({ formatId: 7, gtrid: `ab0${n}`, bqual: '01' });
    for (const [n, body] of [
      [1, 'committed'],
      [2, 'rolled back'],
    ] as const) {
      await shell.call({ cmd: 'xa', session: 'xs', op: 'start', xid: xid(n) });
      await shell.call({ cmd: 'send', producer: 'xa-out', message: { body } });
      await shell.call({ cmd: 'xa', session: 'xs', op: 'end', xid: xid(n) });
      assert.equal((await shell.call({ cmd: 'xa', session: 'xs', op: 'prepare', xid: xid(n) })).vote, 'XA_OK');
    }
    const { xids } = await shell.call({ cmd: 'xa', session: 'xs', op: 'recover' });
    assert.deepEqual(
      new Set(xids),
      new Set([xid(1), xid(2)]),
    );
    await shell.call({ cmd: 'xa', session: 'xs', op: 'commit', xid: xid(1) });
    await shell.call({ cmd: 'xa', session: 'xs', op: 'rollback', xid: xid(2) });
    const c = await consumer(q);
    assert.deepEqual(
      (await receive(c)).map((m) => m.body),
      ['committed'],
    );
    await nothingMore(c);
    const unknown = await shell.attempt({ cmd: 'xa', session: 'xs', op: 'commit', xid: xid(9) });
    assert.equal(unknown.ok ? undefined : unknown.xaErrorCode, -4); // XAER_NOTA
    await shell.call({ cmd: 'closeConnection', connection: 'xa' });
  });

  test('interop: jms-shell async sends report through events; a consumer with prefetch 0 pulls', async () => {
    const q = `queue://${unique('async')}`;
    await shell.call({ cmd: 'producer', id: 'cb', session: 'auto', dest: `${q}?producer.windowSize=65536` });
    const sent = await shell.call({ cmd: 'send', producer: 'cb', callback: true, count: 2, message: { body: 'cb {i}' } });
    const c = await consumer(`${q}?consumer.prefetchSize=0`);
    assert.deepEqual(
      (await receive(c, 2)).map((m) => m.body),
      ['cb 0', 'cb 1'],
    );
    const { events } = await shell.call({ cmd: 'events' });
    assert.deepEqual(
      events.filter((e) => e.event === 'sendSuccess').map((e) => e.id),
      sent.ids,
    );
  });
});
