/**
 * Interop across libraries and transports: stompit over TCP and @stomp/stompjs over WebSocket
 * exchange messages through one broker, custom headers and bodies intact both ways.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { connectStompit, type StompitConnection } from '../helpers/stompit-client.js';
import { connectStompjs, type StompjsConnection } from '../helpers/stompjs-client.js';
import { QUIET_MS, uniqueName } from '../helpers/stompjs-scenarios.js';

/** Headers an application would set; the colon and the non-ASCII text test escaping on both sides. */
const CUSTOM_HEADERS = { 'x-order-id': 'ord-42', 'x-route': 'eu:west', 'x-note': 'grüße ✓', 'correlation-id': 'c-7', type: 'order.created' };

describe('interop: stompit and stompjs', () => {
  let broker: TestBroker;
  let stompit: StompitConnection;
  let stompjs: StompjsConnection;
  before(async () => {
    broker = await startTestBroker();
    stompit = await connectStompit(broker.port);
    stompjs = await connectStompjs({ kind: 'ws', port: broker.wsPort });
  });
  after(async () => {
    await stompit?.close();
    await stompjs?.close();
    await broker?.stop();
  });

  test('interop: a message sent with stompit over tcp reaches stompjs over websocket with its headers', async () => {
    const q = `/queue/${uniqueName('cross-a')}`;
    const sub = await stompjs.subscribeConfirmed(q, { ack: 'client-individual' });
    await stompit.sendConfirmed({ destination: q, persistent: 'true', 'content-type': 'application/json', ...CUSTOM_HEADERS }, '{"total":12.5,"who":"Zoë"}');
    const m = await sub.messages.next(undefined, undefined, 'the stompit message');
    assert.equal(m.body, '{"total":12.5,"who":"Zoë"}');
    assert.equal(m.headers['content-type'], 'application/json');
    assert.equal(m.headers['persistent'], 'true');
    for (const [k, v] of Object.entries(CUSTOM_HEADERS)) assert.equal(m.headers[k], v, `header ${k}`);
    const r = stompjs.expectReceipt();
    m.ack({ receipt: r.id });
    await r.receipt;
  });

  test('interop: a message sent with stompjs over websocket reaches stompit over tcp with its headers', async () => {
    const q = `/queue/${uniqueName('cross-b')}`;
    const inbox = stompit.subscribe({ destination: q, ack: 'client-individual' });
    // stompit subscribes without a receipt; a receipted round trip on the same connection orders it.
    await stompit.sendConfirmed({ destination: `/queue/${uniqueName('fence')}` }, 'fence');
    await stompjs.publishConfirmed({ destination: q, body: 'from the browser side ✓', headers: { ...CUSTOM_HEADERS, 'content-type': 'text/plain' } });
    const { message, body } = await inbox.next(undefined, undefined, 'the stompjs message');
    assert.equal(body, 'from the browser side ✓');
    assert.equal(message.headers['content-type'], 'text/plain');
    for (const [k, v] of Object.entries(CUSTOM_HEADERS)) assert.equal(message.headers[k], v, `header ${k}`);
    await stompit.ackConfirmed(message);
    assert.deepEqual(await inbox.quiet(QUIET_MS), []);
  });

  test('interop: a topic message from stompjs reaches a stompit subscriber and another stompjs one', async () => {
    const topic = `/topic/${uniqueName('cross-topic')}`;
    const inbox = stompit.subscribe({ destination: topic });
    await stompit.sendConfirmed({ destination: `/queue/${uniqueName('fence')}` }, 'fence');
    const other = await connectStompjs({ kind: 'ws', port: broker.wsPort });
    try {
      const sub = await other.subscribeConfirmed(topic);
      await stompjs.publishConfirmed({ destination: topic, body: 'news', headers: { 'x-edition': '3' } });
      const got = await inbox.next(undefined, undefined, 'the topic message at stompit');
      assert.equal(got.body, 'news');
      assert.equal(got.message.headers['x-edition'], '3');
      const m = await sub.messages.next(undefined, undefined, 'the topic message at stompjs');
      assert.equal(m.body, 'news');
      assert.equal(m.headers['x-edition'], '3');
    } finally {
      await other.close();
    }
  });
});
