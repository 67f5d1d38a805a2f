/**
 * Interop: the real @stomp/stompjs v7 client over plain TCP, through StompTcpSocket (an
 * IStompSocket over net.Socket). Same scenarios as over WebSocket; TCP splits and merges frames
 * freely, which exercises stompjs's parser on partial chunks and our encoder's batching.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { connectStompjs } from '../helpers/stompjs-client.js';
import { HEARTBEAT_MS, stompjsScenarios, uniqueName } from '../helpers/stompjs-scenarios.js';

/** Enough messages, with bodies big enough, that frames straddle TCP reads. */
const BULK_COUNT = 300;
const BULK_BODY_BYTES = 3000;

describe('interop: stompjs over tcp', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startTestBroker({ stomp: { heartbeatMinimum: HEARTBEAT_MS } });
  });
  after(async () => {
    await broker?.stop();
  });

  for (const [name, scenario] of Object.entries(stompjsScenarios)) {
    test(`interop: stompjs over tcp ${name}`, () => scenario({ kind: 'tcp', port: broker.port }));
  }

  test('interop: stompjs over tcp receives a burst of frames split across TCP reads, in order', async () => {
    const conn = await connectStompjs({ kind: 'tcp', port: broker.port });
    try {
      assert.equal(conn.client.connectedVersion, '1.2');
      const q = `/queue/${uniqueName('bulk')}`;
      const sub = await conn.subscribeConfirmed(q);
      const pad = 'x'.repeat(BULK_BODY_BYTES);
      for (let i = 0; i < BULK_COUNT - 1; i++) conn.client.publish({ destination: q, body: `${i}:${pad}`, headers: { 'x-i': String(i) } });
      await conn.publishConfirmed({ destination: q, body: `${BULK_COUNT - 1}:${pad}`, headers: { 'x-i': String(BULK_COUNT - 1) } });
      const got = await sub.messages.take(BULK_COUNT, 10_000, 'the burst');
      got.forEach((m, i) => {
        assert.equal(m.headers['x-i'], String(i));
        assert.equal(m.body, `${i}:${pad}`);
      });
    } finally {
      await conn.close();
    }
  });
});
