/**
 * ActiveMQ's own Java JMS client (activemq-client 5.17, Debian's libactivemq-java) against
 * FerryMQ's OpenWire head: the JMS behaviours Java services rely on. One broker and one JVM for the
 * file; each test uses destinations of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { everyMessageType, jms, JMS_PROPERTIES, JmsShell, JmsShellError, uniqueName, type JmsMessage } from '../helpers/jms-shell.js';
import { RawStomp } from '../helpers/stomp-client.js';

/** Long enough for a message already on its way; the broker is local. */
const RECEIVE_MS = 5_000;
/** What "nothing more arrives" waits for. */
const QUIET_MS = 300;

const PROPERTIES = JMS_PROPERTIES;
const unique = uniqueName;

describe('openwire: the ActiveMQ Java client against FerryMQ', () => {
  let tb: TestBroker;
  let shell: JmsShell;
  let url: string;

  before(async () => {
    tb = await startTestBroker({ listeners: [{ uri: 'tcp://127.0.0.1:0' }, { uri: 'stomp://127.0.0.1:0' }] });
    const port = tb.broker.listeners.find((l) => l.scheme === 'openwire')?.port;
    url = `tcp://127.0.0.1:${port}`;
    shell = await JmsShell.start({ url, clientId: 'jms-main' });
    await shell.call({ cmd: 'session', id: 'auto' });
  });
  after(async () => {
    await shell?.close();
    await tb?.stop();
  });

  async function producer(dest: string, session = 'auto', extra: { deliveryMode?: 'persistent' | 'non_persistent'; ttl?: number; priority?: number } = {}): Promise<string> {
    const id = unique('p');
    await shell.call({ cmd: 'producer', id, session, dest, ...extra });
    return id;
  }
  async function consumer(dest: string, session = 'auto', extra: { selector?: string; durable?: string; noLocal?: boolean } = {}): Promise<string> {
    const id = unique('c');
    await shell.call({ cmd: 'consumer', id, session, dest, ...extra });
    return id;
  }
  async function receive(consumerId: string, count = 1, ack?: boolean): Promise<JmsMessage[]> {
    const r = await shell.call({ cmd: 'receive', consumer: consumerId, timeout: RECEIVE_MS, count, ...(ack === undefined ? {} : { ack }) });
    return r.messages ?? [];
  }
  async function nothingMore(consumerId: string): Promise<void> {
    const r = await shell.call({ cmd: 'receive', consumer: consumerId, timeout: QUIET_MS });
    assert.equal(r.count, 0, `unexpected message: ${JSON.stringify(r.messages)}`);
  }
  async function sendTexts(p: string, bodies: readonly string[], extra: { properties?: Record<string, ReturnType<typeof jms.int>> } = {}): Promise<void> {
    for (const body of bodies) await shell.call({ cmd: 'send', producer: p, message: { type: 'text', body, ...extra } });
  }

  test('openwire: every JMS message type with typed properties and headers arrives intact', async () => {
    const q = `queue://${unique('types')}`;
    const p = await producer(q);
    const c = await consumer(q);
    const bytes = Buffer.from([0, 1, 2, 254, 255]);
    const sent = everyMessageType('text body ☃', bytes);
    for (const m of sent) {
      await shell.call({ cmd: 'send', producer: p, message: { ...m, properties: PROPERTIES, correlationId: 'corr-1', jmsType: 'kind', replyTo: 'queue://answers', groupId: 'g1', groupSeq: 3 } });
    }
    const got = await receive(c, sent.length);
    assert.deepEqual(got.map((m) => m.type), sent.map((m) => m.type));
    assert.equal(got[0]?.body, 'text body ☃');
    assert.equal(got[1]?.body, bytes.toString('base64'));
    assert.deepEqual(got[2]?.body, { ...PROPERTIES, char: jms.char('x'), raw: jms.bytes(bytes) });
    assert.deepEqual(got[3]?.body, [jms.int(1), jms.string('two'), jms.double(3.5), jms.bytes(bytes), jms.boolean(false)]);
    assert.equal(got[4]?.object, 'a serialized string');
    for (const m of got) {
      for (const [k, v] of Object.entries(PROPERTIES)) assert.deepEqual(m.properties[k], v, `property ${k} of a ${m.type} message`);
      assert.equal(m.correlationId, 'corr-1');
      assert.equal(m.jmsType, 'kind');
      assert.equal(m.replyTo, 'queue://answers');
      assert.equal(m.groupId, 'g1');
      assert.equal(m.groupSeq, 3);
      assert.equal(m.redelivered, false);
      assert.equal(m.deliveryCount, 1);
      assert.equal(m.destination, q);
    }
    await nothingMore(c);
  });

  test('openwire: a transacted session commits sends and acks together; rollback redelivers', async () => {
    const q = `queue://${unique('tx')}`;
    await shell.call({ cmd: 'session', id: 'tx', transacted: true });
    const p = await producer(q, 'tx');
    const c = await consumer(q, 'tx');
    await sendTexts(p, ['t1', 't2']);
    await nothingMore(c); // not committed yet
    await shell.call({ cmd: 'commit', session: 'tx' });
    const first = await receive(c, 2);
    assert.deepEqual(first.map((m) => m.body), ['t1', 't2']);
    await shell.call({ cmd: 'rollback', session: 'tx' });
    const again = await receive(c, 2);
    assert.deepEqual(again.map((m) => [m.body, m.redelivered, m.deliveryCount]), [
      ['t1', true, 2],
      ['t2', true, 2],
    ]);
    await shell.call({ cmd: 'commit', session: 'tx' });
    await shell.call({ cmd: 'closeSession', session: 'tx' });
    const after = await consumer(q);
    await nothingMore(after);
  });

  test('openwire: client acknowledge and recover; unacked messages come back to the next consumer', async () => {
    const q = `queue://${unique('client')}`;
    await shell.call({ cmd: 'session', id: 'ca', ackMode: 'client' });
    const p = await producer(q);
    const c = await consumer(q, 'ca');
    await sendTexts(p, ['c1', 'c2', 'c3']);
    assert.deepEqual((await receive(c, 1)).map((m) => m.body), ['c1']);
    await shell.call({ cmd: 'acknowledge', consumer: c });
    assert.deepEqual((await receive(c, 1)).map((m) => m.body), ['c2']);
    await shell.call({ cmd: 'recover', session: 'ca' });
    const redelivered = await receive(c, 2);
    assert.deepEqual(redelivered.map((m) => [m.body, m.redelivered]), [
      ['c2', true],
      ['c3', false],
    ]);
    await shell.call({ cmd: 'closeSession', session: 'ca' });
    // c2 and c3 were never acked: a new consumer gets them.
    const next = await consumer(q);
    assert.deepEqual((await receive(next, 2)).map((m) => m.body), ['c2', 'c3']);
  });

  test('openwire: individual acknowledge acks only the message named', async () => {
    const q = `queue://${unique('individual')}`;
    await shell.call({ cmd: 'session', id: 'ind', ackMode: 'individual' });
    const p = await producer(q);
    const c = await consumer(q, 'ind');
    await sendTexts(p, ['i1', 'i2', 'i3']);
    const got = await receive(c, 3);
    await shell.call({ cmd: 'acknowledge', message: got[1]!.id! });
    await shell.call({ cmd: 'closeSession', session: 'ind' });
    const next = await consumer(q);
    assert.deepEqual((await receive(next, 2)).map((m) => m.body), ['i1', 'i3']);
    await nothingMore(next);
  });

  test('openwire: a durable subscriber keeps messages while away and is removed by unsubscribe', async () => {
    const t = `topic://${unique('durable')}`;
    await shell.call({ cmd: 'session', id: 'dur' });
    const p = await producer(t, 'auto', { deliveryMode: 'persistent' });
    const sub = await consumer(t, 'dur', { durable: 'sub1' });
    await sendTexts(p, ['d1']);
    assert.deepEqual((await receive(sub)).map((m) => m.body), ['d1']);
    await shell.call({ cmd: 'closeConsumer', consumer: sub });
    await sendTexts(p, ['d2', 'd3']);
    // Active subscription: unsubscribe is refused, the connection stays usable.
    const again = await consumer(t, 'dur', { durable: 'sub1' });
    await assert.rejects(shell.call({ cmd: 'unsubscribe', session: 'dur', name: 'sub1' }), JmsShellError);
    assert.deepEqual((await receive(again, 2)).map((m) => m.body), ['d2', 'd3']);
    await shell.call({ cmd: 'closeConsumer', consumer: again });
    await shell.call({ cmd: 'unsubscribe', session: 'dur', name: 'sub1' });
    await sendTexts(p, ['d4']);
    const fresh = await consumer(t, 'dur', { durable: 'sub1' });
    await nothingMore(fresh);
    await shell.call({ cmd: 'closeSession', session: 'dur' });
  });

  test('openwire: request/reply over a temporary queue between two connections (temp destination advisories)', async () => {
    const service = `queue://${unique('service')}`;
    await shell.call({ cmd: 'connect', id: 'server', url, start: true });
    await shell.call({ cmd: 'session', id: 'srv', connection: 'server' });
    const requests = await consumer(service, 'srv');
    await shell.call({ cmd: 'tempQueue', session: 'auto', id: 'replies' });
    const replies = unique('rc');
    await shell.call({ cmd: 'consumer', id: replies, session: 'auto', dest: 'temp-queue://replies' });
    const ask = await producer(service);
    await shell.call({ cmd: 'send', producer: ask, message: { type: 'text', body: 'question', replyTo: 'temp-queue://replies', correlationId: 'q1' } });
    const [req] = await receive(requests);
    assert.ok(req?.replyTo?.startsWith('temp-queue://'), `replyTo ${req?.replyTo}`);
    await shell.call({ cmd: 'producer', id: 'answerer', session: 'srv' });
    await shell.call({ cmd: 'send', producer: 'answerer', dest: req!.replyTo!, message: { type: 'text', body: 'answer', correlationId: req!.correlationId! } });
    const [answer] = await receive(replies);
    assert.deepEqual([answer?.body, answer?.correlationId], ['answer', 'q1']);
    // A connection opened after the temporary queue existed learns of it too (advisory replay).
    await shell.call({ cmd: 'connect', id: 'late', url, start: true });
    await shell.call({ cmd: 'session', id: 'late-s', connection: 'late' });
    await shell.call({ cmd: 'producer', id: 'late-p', session: 'late-s' });
    await shell.call({ cmd: 'sleep', ms: 100 });
    await shell.call({ cmd: 'send', producer: 'late-p', dest: req!.replyTo!, message: { type: 'text', body: 'late answer' } });
    assert.deepEqual((await receive(replies)).map((m) => m.body), ['late answer']);
    await shell.call({ cmd: 'closeConnection', connection: 'late' });
    await shell.call({ cmd: 'closeConnection', connection: 'server' });
  });

  test('openwire: connection, consumer and producer advisories are published as ActiveMQ names them', async () => {
    const name = unique('watched');
    const consumers = await consumer(`topic://ActiveMQ.Advisory.Consumer.Queue.${name}`);
    const producers = await consumer(`topic://ActiveMQ.Advisory.Producer.Queue.${name}`);
    const connections = await consumer('topic://ActiveMQ.Advisory.Connection');
    await shell.call({ cmd: 'receive', consumer: connections, timeout: QUIET_MS, count: 100, quiet: true }); // earlier tests' connections
    await shell.call({ cmd: 'connect', id: 'watched', url, start: true, clientId: 'watched-client' });
    await shell.call({ cmd: 'session', id: 'ws', connection: 'watched' });
    const c = await consumer(`queue://${name}`, 'ws');
    await producer(`queue://${name}`, 'ws');
    const [added] = await receive(consumers);
    assert.equal(added?.jmsType, 'Advisory');
    assert.equal(added?.destination, `topic://ActiveMQ.Advisory.Consumer.Queue.${name}`);
    assert.equal((await receive(producers)).length, 1);
    await shell.call({ cmd: 'closeConsumer', consumer: c });
    assert.equal((await receive(consumers)).length, 1, 'a consumer going away is advised too');
    await shell.call({ cmd: 'closeConnection', connection: 'watched' });
    // Connection added, then removed (with its producer).
    const conn = await receive(connections, 2);
    assert.equal(conn.length, 2);
    assert.equal((await receive(producers)).length, 1);
  });

  test('openwire: a queue browser sees the messages without consuming them', async () => {
    const q = `queue://${unique('browse')}`;
    const p = await producer(q);
    await sendTexts(p, ['b1', 'b2', 'b3']);
    const seen = await shell.call({ cmd: 'browse', session: 'auto', dest: q });
    assert.deepEqual(seen.messages.map((m) => m.body), ['b1', 'b2', 'b3']);
    const filtered = await shell.call({ cmd: 'browse', session: 'auto', dest: q, selector: "JMSCorrelationID IS NULL AND 1 = 2" });
    assert.deepEqual(filtered.messages, []);
    const c = await consumer(q);
    assert.deepEqual((await receive(c, 3)).map((m) => m.body), ['b1', 'b2', 'b3']);
  });

  test('openwire: prefetch 0 pulls one message per receive, and receive times out on an empty queue', async () => {
    const name = unique('pull');
    const p = await producer(`queue://${name}`);
    const c = await consumer(`queue://${name}?consumer.prefetchSize=0`);
    const none = await shell.call({ cmd: 'receive', consumer: c, timeout: 200 });
    assert.equal(none.count, 0);
    const noWait = await shell.call({ cmd: 'receive', consumer: c, timeout: 0 });
    assert.equal(noWait.count, 0);
    await sendTexts(p, ['p1', 'p2']);
    // A second consumer with prefetch gets what the pull consumer has not pulled.
    assert.deepEqual((await receive(c, 1)).map((m) => m.body), ['p1']);
    const other = await consumer(`queue://${name}`);
    assert.deepEqual((await receive(other, 1)).map((m) => m.body), ['p2']);
  });

  test('openwire: selectors, priority order and expiry', async () => {
    const q = `queue://${unique('select')}`;
    const p = await producer(q);
    for (const [body, color, priority] of [['r1', 'red', 1], ['b1', 'blue', 4], ['r2', 'red', 9]] as const) {
      await shell.call({ cmd: 'send', producer: p, message: { type: 'text', body, properties: { color: jms.string(color) }, priority } });
    }
    await shell.call({ cmd: 'send', producer: p, message: { type: 'text', body: 'expired', properties: { color: jms.string('red') }, ttl: 1 } });
    await shell.call({ cmd: 'sleep', ms: 50 });
    const reds = await consumer(q, 'auto', { selector: "color = 'red'" });
    const got = await receive(reds, 2);
    assert.deepEqual(got.map((m) => m.body).sort(), ['r1', 'r2']);
    await nothingMore(reds);
    const rest = await consumer(q);
    assert.deepEqual((await receive(rest, 1)).map((m) => m.body), ['b1']);
    await nothingMore(rest);
  });

  test('openwire: consumer.exclusive, consumer.priority, message groups, dups-ok acks and noLocal', async () => {
    const name = unique('opts');
    const p = await producer(`queue://${name}.ex`);
    // Exclusive: the first exclusive consumer gets everything while it lives.
    const ex = await consumer(`queue://${name}.ex?consumer.exclusive=true`);
    const other = await consumer(`queue://${name}.ex`);
    await sendTexts(p, ['e1', 'e2', 'e3']);
    assert.deepEqual((await receive(ex, 3)).map((m) => m.body), ['e1', 'e2', 'e3']);
    await nothingMore(other);
    // Priority: the higher-priority consumer is served first.
    const pp = await producer(`queue://${name}.prio`);
    const low = await consumer(`queue://${name}.prio?consumer.priority=1`);
    const high = await consumer(`queue://${name}.prio?consumer.priority=9`);
    await sendTexts(pp, ['p1', 'p2']);
    assert.deepEqual((await receive(high, 2)).map((m) => m.body), ['p1', 'p2']);
    await nothingMore(low);
    // Groups: every message of a group goes to one consumer.
    const gp = await producer(`queue://${name}.groups`);
    const g1 = await consumer(`queue://${name}.groups`);
    const g2 = await consumer(`queue://${name}.groups`);
    for (let i = 0; i < 6; i++) await shell.call({ cmd: 'send', producer: gp, message: { type: 'text', body: `${i % 2 === 0 ? 'A' : 'B'}${i}`, groupId: i % 2 === 0 ? 'A' : 'B' } });
    const a = (await shell.call({ cmd: 'receive', consumer: g1, timeout: 1000, count: 6 })).messages ?? [];
    const b = (await shell.call({ cmd: 'receive', consumer: g2, timeout: 1000, count: 6 })).messages ?? [];
    assert.equal(a.length + b.length, 6);
    for (const list of [a, b]) assert.ok(new Set(list.map((m) => m.groupId)).size <= 1, `one group per consumer: ${list.map((m) => m.body).join(',')}`);
    // Dups-ok: acks are lazy but they happen: nothing comes back after the session closes.
    await shell.call({ cmd: 'session', id: 'dups', ackMode: 'dups_ok' });
    const dp = await producer(`queue://${name}.dups`);
    const dc = await consumer(`queue://${name}.dups`, 'dups');
    await sendTexts(dp, ['x1', 'x2', 'x3']);
    assert.equal((await receive(dc, 3)).length, 3);
    await shell.call({ cmd: 'closeSession', session: 'dups' });
    await nothingMore(await consumer(`queue://${name}.dups`));
    // noLocal: a topic subscriber does not get its own connection's messages.
    const t = `topic://${name}.local`;
    const mine = await consumer(t, 'auto', { noLocal: true });
    await shell.call({ cmd: 'connect', id: 'remote', url, start: true });
    await shell.call({ cmd: 'session', id: 'rs', connection: 'remote' });
    await shell.call({ cmd: 'producer', id: 'rp', session: 'rs', dest: t });
    const tp = await producer(t);
    await sendTexts(tp, ['own']);
    await shell.call({ cmd: 'send', producer: 'rp', message: { type: 'text', body: 'remote' } });
    assert.deepEqual((await receive(mine)).map((m) => m.body), ['remote']);
    await nothingMore(mine);
    await shell.call({ cmd: 'closeConnection', connection: 'remote' });
  });

  test('openwire: a message the client gives up on (RedeliveryPolicy) goes to ActiveMQ.DLQ with its cause', async () => {
    const name = unique('poison');
    await shell.call({ cmd: 'connect', id: 'poisoner', url, start: true, options: { maximumRedeliveries: 1, initialRedeliveryDelay: 0 } });
    await shell.call({ cmd: 'session', id: 'ptx', connection: 'poisoner', transacted: true });
    const p = await producer(`queue://${name}`);
    await sendTexts(p, ['poison']);
    const c = await consumer(`queue://${name}`, 'ptx');
    for (let i = 0; i < 2; i++) {
      assert.deepEqual((await receive(c)).map((m) => m.body), ['poison']);
      await shell.call({ cmd: 'rollback', session: 'ptx' });
    }
    await nothingMore(c);
    const dlq = await consumer('queue://ActiveMQ.DLQ', 'auto', { selector: `originalDestination = 'queue://${name}'` });
    const [dead] = await receive(dlq);
    assert.equal(dead?.body, 'poison');
    assert.match(String(dead?.properties['dlqDeliveryFailureCause']?.value), /redelivery policy limit/i);
    await shell.call({ cmd: 'closeConnection', connection: 'poisoner' });
  });

  test('openwire: async sends with producerWindowSize are acknowledged by ProducerAck and all arrive', async () => {
    const q = `queue://${unique('window')}`;
    await shell.call({ cmd: 'connect', id: 'async', url, start: true, options: { useAsyncSend: true, producerWindowSize: 65536 } });
    await shell.call({ cmd: 'session', id: 'as', connection: 'async' });
    await shell.call({ cmd: 'producer', id: 'ap', session: 'as', dest: q, deliveryMode: 'persistent' });
    // 2,000 x ~1 KB: far past the 64 KB window, so the client must get its window back to finish.
    const sent = await shell.call({ cmd: 'send', producer: 'ap', count: 2000, message: { type: 'text', body: `${'x'.repeat(1000)}-{i}` } });
    assert.equal(sent.count, 2000);
    const c = await consumer(q);
    const r = await shell.call({ cmd: 'receive', consumer: c, timeout: 20_000, count: 2000, quiet: true });
    assert.equal(r.count, 2000);
    await shell.call({ cmd: 'closeConnection', connection: 'async' });
  });

  test('openwire: STOMP and JMS see each other: text, bytes (content-length) and properties', async () => {
    const name = unique('cross');
    const stomp = await RawStomp.connect(tb.port);
    try {
      // JMS -> STOMP
      await stomp.subscribe(`/queue/${name}.out`);
      const p = await producer(`queue://${name}.out`);
      await shell.call({ cmd: 'send', producer: p, message: { type: 'text', body: 'to stomp', properties: { n: jms.int(7), s: jms.string('v') } } });
      const frame = await stomp.message();
      assert.equal(frame.body.toString(), 'to stomp');
      assert.equal(frame.headers.get('n'), '7');
      assert.equal(frame.headers.get('s'), 'v');
      // STOMP -> JMS: no content-length is a TextMessage, content-length a BytesMessage.
      const c = await consumer(`queue://${name}.in`);
      await stomp.publish(`/queue/${name}.in`, 'plain text', { colour: 'green' });
      await stomp.send('SEND', { destination: `/queue/${name}.in`, 'content-length': '3' }, Buffer.from([1, 2, 3]));
      const got = await receive(c, 2);
      assert.deepEqual([got[0]?.type, got[0]?.body, got[0]?.properties['colour']?.value], ['text', 'plain text', 'green']);
      assert.deepEqual([got[1]?.type, got[1]?.body], ['bytes', Buffer.from([1, 2, 3]).toString('base64')]);
    } finally {
      stomp.close();
    }
  });

  test('openwire: loose encoding without the cache, and an OpenWire 6 client, work the same', async () => {
    for (const [id, options] of [
      ['loose', '?wireFormat.tightEncodingEnabled=false&wireFormat.cacheEnabled=false'],
      ['v6', '?wireFormat.version=6'],
    ] as const) {
      await shell.call({ cmd: 'connect', id, url: url + options, start: true });
      await shell.call({ cmd: 'session', id: `${id}-s`, connection: id });
      const q = `queue://${unique(id)}`;
      await shell.call({ cmd: 'producer', id: `${id}-p`, session: `${id}-s`, dest: q });
      await shell.call({ cmd: 'send', producer: `${id}-p`, message: { type: 'map', body: PROPERTIES, properties: PROPERTIES } });
      const c = await consumer(q, `${id}-s`);
      const [m] = await receive(c);
      assert.deepEqual(m?.body, PROPERTIES, id);
      assert.deepEqual(m?.properties['long'], PROPERTIES.long, id);
      const info = await shell.call({ cmd: 'info', connection: id });
      if (id === 'v6') assert.equal(info.protocolVersion, 6);
      await shell.call({ cmd: 'closeConnection', connection: id });
    }
  });

  test('openwire: compressed messages (jms.useCompression) arrive intact over OpenWire and STOMP', async () => {
    const name = unique('compressed');
    await shell.call({ cmd: 'connect', id: 'zip', url, start: true, options: { useCompression: true } });
    await shell.call({ cmd: 'session', id: 'zs', connection: 'zip' });
    await shell.call({ cmd: 'producer', id: 'zp', session: 'zs', dest: `queue://${name}` });
    const text = `${'compress me '.repeat(500)}☃`;
    const bytes = Buffer.alloc(20_000, 7);
    await shell.call({ cmd: 'send', producer: 'zp', message: { type: 'text', body: text, properties: { n: jms.int(1) } } });
    await shell.call({ cmd: 'send', producer: 'zp', message: { type: 'bytes', body: bytes.toString('base64') } });
    await shell.call({ cmd: 'send', producer: 'zp', message: { type: 'map', body: { big: jms.string('x'.repeat(5000)) } } });
    const c = await consumer(`queue://${name}`);
    const got = await receive(c, 3);
    assert.deepEqual(got.map((m) => m.type), ['text', 'bytes', 'map']);
    assert.equal(got[0]?.body, text);
    assert.equal(got[0]?.properties['n']?.value, 1);
    assert.equal(got[1]?.body, bytes.toString('base64'));
    assert.deepEqual(got[2]?.body, { big: jms.string('x'.repeat(5000)) });
    // A STOMP consumer reads the inflated text.
    await shell.call({ cmd: 'closeConsumer', consumer: c });
    await shell.call({ cmd: 'send', producer: 'zp', message: { type: 'text', body: text } });
    const stomp = await RawStomp.connect(tb.port);
    try {
      await stomp.subscribe(`/queue/${name}`);
      assert.equal((await stomp.message()).body.toString(), text);
    } finally {
      stomp.close();
    }
    await shell.call({ cmd: 'closeConnection', connection: 'zip' });
  });

  test('openwire: a client id in use is refused with InvalidClientIDException', async () => {
    await assert.rejects(shell.call({ cmd: 'connect', id: 'dup', url, clientId: 'jms-main', start: true }), /InvalidClientIDException/);
  });
});
