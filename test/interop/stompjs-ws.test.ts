/**
 * Interop: the real @stomp/stompjs v7 client over WebSocket (the `ws` package, as a Node app
 * would use it) against a real broker. The shared scenarios run here and over TCP
 * (stompjs-tcp.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { connectStompjs } from '../helpers/stompjs-client.js';
import { HEARTBEAT_MS, stompjsScenarios } from '../helpers/stompjs-scenarios.js';

describe('interop: stompjs over websocket', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startTestBroker({ stomp: { heartbeatMinimum: HEARTBEAT_MS } });
  });
  after(async () => {
    await broker?.stop();
  });

  for (const [name, scenario] of Object.entries(stompjsScenarios)) {
    test(`interop: stompjs over websocket ${name}`, () => scenario({ kind: 'ws', port: broker.wsPort }));
  }

  test('interop: stompjs over websocket negotiates the v12.stomp subprotocol and STOMP 1.2', async () => {
    const conn = await connectStompjs({ kind: 'ws', port: broker.wsPort });
    try {
      const ws = conn.client.webSocket as unknown as { protocol: string };
      assert.equal(ws.protocol, 'v12.stomp');
      assert.equal(conn.client.connectedVersion, '1.2');
    } finally {
      await conn.close();
    }
  });
});
