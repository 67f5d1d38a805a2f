/**
 * Transports under the STOMP head: wildcard listeners reachable over IPv4 and IPv6 loopback,
 * STOMP over WebSocket (subprotocol choice, frames across and within WebSocket messages,
 * limits), and plain HTTP on the WebSocket port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { WebSocket } from 'ws';
import type { ConfigOverrides } from '../../src/config/load.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { closeAfter, RawStomp } from '../helpers/stomp-client.js';

type After = { after(fn: () => unknown): void };

async function brokerFor(t: After, overrides: ConfigOverrides = {}): Promise<TestBroker> {
  const tb = await startTestBroker(overrides);
  t.after(() => tb.stop());
  return tb;
}

/** Whether this machine can bind the IPv6 loopback at all. */
function hasIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

async function openWs(t: After, port: number, protocols: string[]): Promise<{ client: RawStomp; ws: WebSocket }> {
  const opened = await RawStomp.openWebSocket(`ws://127.0.0.1:${port}`, protocols);
  closeAfter(t, opened.client);
  return opened;
}

test('stomp: a 0.0.0.0 listener accepts connections on 127.0.0.1 and ::1 (TCP and WebSocket)', async (t) => {
  const tb = await brokerFor(t, { listeners: [{ uri: 'stomp://0.0.0.0:0' }, { uri: 'ws://0.0.0.0:0' }] });
  const tcpPort = tb.broker.listeners.find((l) => l.scheme === 'stomp')?.port ?? 0;
  const wsPort = tb.broker.listeners.find((l) => l.scheme === 'ws')?.port ?? 0;
  const hosts = ['127.0.0.1'];
  if (await hasIpv6Loopback()) hosts.push('::1');
  else t.diagnostic('SKIPPED the ::1 half: this machine has no IPv6 loopback');
  for (const host of hosts) {
    const c = closeAfter(t, await RawStomp.connect(tcpPort, {}, '1.2', host));
    await c.request('SUBSCRIBE', { id: 's', destination: `/queue/dual.${host}` });
    await c.request('SEND', { destination: `/queue/dual.${host}` }, host);
    assert.equal((await c.message()).body.toString(), host);
    const url = host.includes(':') ? `ws://[${host}]:${wsPort}` : `ws://${host}:${wsPort}`;
    const { client } = await RawStomp.openWebSocket(url, ['v12.stomp']);
    closeAfter(t, client);
    await client.handshake();
    await client.request('SEND', { destination: `/queue/dual.${host}` }, 'ws');
  }
});

const SUBPROTOCOLS: ReadonlyArray<{ offered: string[]; chosen: string }> = [
  { offered: ['v12.stomp'], chosen: 'v12.stomp' },
  { offered: ['v11.stomp', 'v10.stomp'], chosen: 'v11.stomp' },
  { offered: ['v10.stomp', 'v12.stomp', 'v11.stomp'], chosen: 'v12.stomp' },
  { offered: ['v10.stomp'], chosen: 'v10.stomp' },
  { offered: ['mqtt', 'stomp'], chosen: 'stomp' },
];

for (const { offered, chosen } of SUBPROTOCOLS) {
  test(`stomp: WebSocket subprotocols [${offered.join(', ')}] -> ${chosen}`, async (t) => {
    const tb = await brokerFor(t);
    const { client, ws } = await openWs(t, tb.wsPort, offered);
    assert.equal(ws.protocol, chosen);
    await client.handshake();
    await client.request('SEND', { destination: '/queue/ws.subprotocol' }, 'x');
  });
}

test('stomp: a WebSocket client offering no STOMP subprotocol is refused', async (t) => {
  const tb = await brokerFor(t);
  const ws = new WebSocket(`ws://127.0.0.1:${tb.wsPort}`, ['mqtt']);
  t.after(() => ws.terminate());
  const outcome = await new Promise<string>((resolve) => {
    ws.once('open', () => resolve(`open with ${JSON.stringify(ws.protocol)}`));
    ws.once('error', (err) => resolve(`error: ${err.message}`));
  });
  assert.match(outcome, /^error/, outcome);
});

test('stomp: CONNECT / SUBSCRIBE / SEND / MESSAGE round trip over WebSocket, and to and from TCP', async (t) => {
  const tb = await brokerFor(t);
  const { client: wsClient } = await openWs(t, tb.wsPort, ['v12.stomp']);
  await wsClient.handshake();
  assert.equal(wsClient.version, '1.2');
  assert.ok(wsClient.connectedFrame?.headers.get('session'));
  await wsClient.request('SUBSCRIBE', { id: 'w', destination: '/queue/ws.in', ack: 'client-individual' });
  const tcp = closeAfter(t, await RawStomp.connect(tb.port));
  await tcp.request('SUBSCRIBE', { id: 't', destination: '/queue/ws.out' });

  // WebSocket -> WebSocket, with an escaped header and a body holding NUL and non-UTF-8 octets.
  const binary = Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x00]);
  await wsClient.request('SEND', { destination: '/queue/ws.in', 'content-length': String(binary.length), odd: 'a:b\nc' }, binary);
  const m = await wsClient.message();
  assert.ok(m.body.equals(binary));
  assert.equal(m.headers.get('odd'), 'a:b\nc');
  await wsClient.request('ACK', { id: m.headers.get('ack') ?? '' });

  // TCP -> WebSocket and WebSocket -> TCP.
  await tcp.request('SEND', { destination: '/queue/ws.in' }, 'from tcp ✓');
  assert.equal((await wsClient.message()).body.toString(), 'from tcp ✓');
  await wsClient.request('SEND', { destination: '/queue/ws.out' }, 'from ws');
  assert.equal((await tcp.message()).body.toString(), 'from ws');
});

test('stomp: frames split across WebSocket messages, and several in one message, decode the same', async (t) => {
  const tb = await brokerFor(t);
  const { client, ws } = await openWs(t, tb.wsPort, ['v12.stomp']);
  await client.handshake();
  await client.request('SUBSCRIBE', { id: 's', destination: '/queue/ws.split' });
  const frame = 'SEND\ndestination:/queue/ws.split\n\nsplit body\0';
  for (let i = 0; i < frame.length; i += 5) ws.send(frame.slice(i, i + 5));
  assert.equal((await client.message()).body.toString(), 'split body');
  ws.send('SEND\ndestination:/queue/ws.split\n\none\0\nSEND\ndestination:/queue/ws.split\n\ntwo\0');
  assert.equal((await client.message()).body.toString(), 'one');
  assert.equal((await client.message()).body.toString(), 'two');
});

test('stomp: protocol errors over WebSocket get an ERROR frame, then the socket closes', async (t) => {
  const tb = await brokerFor(t, { stomp: { maxFrameSize: 2048 } });
  const { client } = await openWs(t, tb.wsPort, ['v12.stomp']);
  await client.handshake();
  client.send('SEND', { destination: '/queue/ws.big' }, 'z'.repeat(2500));
  const err = await client.errorThenClose(3000);
  assert.match(err.body.toString(), /FRAME_TOO_LARGE/);

  const { client: other } = await openWs(t, tb.wsPort, ['v12.stomp']);
  await other.handshake();
  other.send('SEND', { receipt: 'no-dest' }, 'x');
  const err2 = await other.errorThenClose(3000);
  assert.equal(err2.headers.get('receipt-id'), 'no-dest');
});

test('stomp: maximumConnections applies to WebSocket listeners too', async (t) => {
  const tb = await brokerFor(t, { listeners: [{ uri: 'ws://127.0.0.1:0?maximumConnections=1' }] });
  const port = tb.broker.listeners[0]?.port ?? 0;
  const { client: first } = await openWs(t, port, ['v12.stomp']);
  await first.handshake();
  const { client: second } = await openWs(t, port, ['v12.stomp']);
  const err = await second.errorThenClose(3000);
  assert.match(err.headers.get('message') ?? '', /maximumConnections=1/);
  await first.request('SEND', { destination: '/queue/ws.maxconn' }, 'first still works');
});

test('stomp: a plain HTTP GET to the WebSocket port gets 426 Upgrade Required', async (t) => {
  const tb = await brokerFor(t);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: tb.wsPort, path: '/' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  assert.equal(status, 426);
  assert.match(body, /WebSocket/);
  // The listener still serves WebSocket clients afterwards.
  const { client } = await openWs(t, tb.wsPort, ['v12.stomp']);
  await client.handshake();
});
