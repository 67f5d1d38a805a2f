/**
 * OpenWire bad input and listener limits over real sockets, with the raw client (openwire-raw.ts):
 * frame size, garbage, unsupported versions, wire format negotiation, the inactivity monitor, the
 * connect timeout, maximumConnections, and ExceptionResponse (which keeps the connection). A
 * protocol error gets a ConnectionError and closes only that connection.
 *
 * One broker for the file, one listener per set of URI options.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OpenWireDecoder, type ConnectionError } from '../../src/protocols/openwire/codec/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { closeAfter } from '../helpers/stomp-client.js';
import { command, destination, RawOpenWire, textOf, type RawOpenWireOptions } from '../helpers/openwire-raw.js';
import { deflateContent } from '../../src/protocols/openwire/codec/message-body.js';

const FRAME_LIMIT = 64 * 1024;
const INACTIVITY_MS = 1000;
const CONNECT_TIMEOUT_MS = 300;
/** How long a close the broker owes us may take on a loaded machine. */
const CLOSE_WITHIN_MS = 5000;

const LISTENERS = {
  limited: `tcp://127.0.0.1:0?wireFormat.maxFrameSize=64kb`,
  loose: 'tcp://127.0.0.1:0?wireFormat.tightEncodingEnabled=false',
  inactive: `tcp://127.0.0.1:0?wireFormat.maxInactivityDuration=${INACTIVITY_MS}&wireFormat.maxInactivityDurationInitalDelay=0`,
  capped: 'tcp://127.0.0.1:0?maximumConnections=2',
  plain: 'tcp://127.0.0.1:0',
} as const;

let tb: TestBroker;
const ports: Partial<Record<keyof typeof LISTENERS, number>> = {};

function port(name: keyof typeof LISTENERS): number {
  const p = ports[name];
  assert.ok(p !== undefined, `listener ${name}`);
  return p;
}

before(async () => {
  tb = await startTestBroker({ listeners: Object.values(LISTENERS).map((uri) => ({ uri })), openwire: { connectTimeout: CONNECT_TIMEOUT_MS } });
  for (const [name, uri] of Object.entries(LISTENERS)) {
    ports[name as keyof typeof LISTENERS] = tb.broker.listeners.find((l) => l.uri === uri)?.port;
  }
});
after(() => tb.stop());

type T = { after(fn: () => void): void };

async function connect(t: T, name: keyof typeof LISTENERS, opts: RawOpenWireOptions = {}): Promise<RawOpenWire> {
  return closeAfter(t, await RawOpenWire.connect(port(name), opts));
}

let seq = 0;
/** `c` subscribes to a fresh queue, sends to it, and receives what it sent. */
async function roundTrip(c: RawOpenWire, label: string): Promise<void> {
  const dest = `queue://ow.limits.${label}.${++seq}`;
  await c.subscribe(dest);
  await c.sendText(dest, `${label} works`);
  assert.equal(textOf(await c.message()), `${label} works`);
}

function messageOf(e: ConnectionError): string {
  return `${e.exception?.className}: ${e.exception?.message}`;
}

test('openwire: a frame above wireFormat.maxFrameSize gets a ConnectionError naming the limit and the close, before its body arrives', async (t) => {
  const neighbour = await connect(t, 'limited');
  const bad = await connect(t, 'limited');
  assert.equal(bad.format?.maxFrameSize, FRAME_LIMIT, 'the listener limit wins the negotiation');
  // A frame just under the limit passes.
  await bad.sendText('queue://ow.limits.big', 'x'.repeat(FRAME_LIMIT - 1024));
  // Only the size prefix and a few bytes: the rest is never sent, so the close proves nothing was awaited.
  const prefix = Buffer.alloc(8);
  prefix.writeInt32BE(FRAME_LIMIT + 1, 0);
  prefix.writeUInt8(28, 4);
  bad.raw(prefix);
  const err = await bad.errorThenClose(CLOSE_WITHIN_MS);
  assert.match(messageOf(err), /FRAME_TOO_LARGE/);
  assert.match(messageOf(err), new RegExp(`${FRAME_LIMIT + 1} bytes is above the limit of ${FRAME_LIMIT}`));
  assert.equal(neighbour.closed, false);
  await roundTrip(neighbour, 'frame-neighbour');
});

test('openwire: an oversized first frame (before negotiation) is closed at once without waiting for its body', async (t) => {
  const c = closeAfter(t, await RawOpenWire.open(port('limited')));
  const prefix = Buffer.alloc(5);
  prefix.writeInt32BE(FRAME_LIMIT * 16, 0);
  prefix.writeUInt8(1, 4);
  const began = Date.now();
  c.raw(prefix);
  await c.waitClosed(CLOSE_WITHIN_MS);
  assert.ok(Date.now() - began < CONNECT_TIMEOUT_MS, 'closed by the size check, not by the connect timeout');
});

test('openwire: garbage after a valid WireFormatInfo closes that connection only; earlier messages survive', async (t) => {
  const healthy = await connect(t, 'limited', { answerKeepAlive: true });
  const kept = `queue://ow.limits.kept.${process.pid}`;
  await healthy.sendText(kept, 'before-1');
  await healthy.sendText(kept, 'before-2');
  // Raw bytes, or a complete frame (size prefix + random type and body) that the decoder must judge.
  const garbage = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 120 })).map(([type, body]) => {
      const frame = Buffer.alloc(5 + body.length);
      frame.writeInt32BE(1 + body.length, 0);
      frame[4] = type;
      Buffer.from(body).copy(frame, 5);
      return frame;
    }),
  );
  let errors = 0;
  await fc.assert(
    fc.asyncProperty(garbage, async (bytes) => {
      const c = await RawOpenWire.open(port('limited'));
      try {
        c.sendWireFormat();
        await c.next((x) => x.type === 2);
        // Random bytes that happen to be a valid ConnectionInfo would be a real client: skip them.
        const d = new OpenWireDecoder();
        d.setFormat(c.format!);
        const decoded = d.push(bytes);
        fc.pre(!Array.isArray(decoded) || !decoded.some((x) => x.type === 3));
        c.raw(bytes);
        // Undecodable: ConnectionError at once; an incomplete frame or a harmless command: the connect timeout.
        await c.waitClosed(CLOSE_WITHIN_MS);
        if (c.commands.some((x) => x.type === 16)) errors++;
      } finally {
        c.close();
      }
    }),
    { numRuns: 30, seed: 4242 },
  );
  assert.ok(errors > 0, 'undecodable input is answered with a ConnectionError');
  assert.equal(healthy.closed, false, 'the healthy connection survived');
  await roundTrip(healthy, 'after-garbage');
  const reader = await connect(t, 'plain');
  await reader.subscribe(kept);
  assert.equal(textOf(await reader.message()), 'before-1');
  assert.equal(textOf(await reader.message()), 'before-2');
});

test('openwire: a client announcing version 5 gets a ConnectionError naming the versions served, then the close', async (t) => {
  const c = closeAfter(t, await RawOpenWire.open(port('plain')));
  c.sendWireFormat({ version: 5 });
  const err = await c.errorThenClose(CLOSE_WITHIN_MS);
  assert.match(messageOf(err), /version 5 is not supported/);
  assert.match(messageOf(err), /versions 6 to 12/);
  assert.equal(c.commands.some((x) => x.type === 2), false, 'no BrokerInfo for a refused client');
});

test('openwire: the broker sends its WireFormatInfo first, before the client says anything', async (t) => {
  const c = closeAfter(t, await RawOpenWire.open(port('limited')));
  const deadline = Date.now() + CLOSE_WITHIN_MS;
  while (c.brokerWireFormat === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const info = c.brokerWireFormat;
  assert.ok(info, 'WireFormatInfo received without sending anything');
  assert.equal(info.version, 12);
  assert.equal(info.properties['TightEncodingEnabled'], true);
  assert.equal(info.properties['CacheEnabled'], true);
  assert.equal(info.properties['MaxFrameSize'], FRAME_LIMIT);
  assert.equal(c.commands.length, 0, 'nothing else before negotiation');
});

test('openwire: negotiation takes the lower version and the AND of tight encoding and caching', async (t) => {
  const cases: ReadonlyArray<{ listener: keyof typeof LISTENERS; opts: RawOpenWireOptions; version: number; tight: boolean; cache: boolean }> = [
    { listener: 'plain', opts: {}, version: 12, tight: true, cache: true },
    { listener: 'plain', opts: { tightEncodingEnabled: false, cacheEnabled: false }, version: 12, tight: false, cache: false },
    { listener: 'plain', opts: { tightEncodingEnabled: true, cacheEnabled: false }, version: 12, tight: true, cache: false },
    { listener: 'loose', opts: { tightEncodingEnabled: true }, version: 12, tight: false, cache: true },
    { listener: 'plain', opts: { version: 9 }, version: 9, tight: true, cache: true },
    { listener: 'plain', opts: { version: 6, tightEncodingEnabled: false }, version: 6, tight: false, cache: true },
    { listener: 'plain', opts: { version: 13 }, version: 12, tight: true, cache: true },
  ];
  for (const k of cases) {
    const label = `${k.listener}-v${k.opts.version ?? 12}-${k.tight ? 'tight' : 'loose'}-${k.cache ? 'cache' : 'nocache'}`;
    const c = await connect(t, k.listener, k.opts);
    assert.equal(c.format?.version, k.version, label);
    assert.equal(c.format?.tightEncoding, k.tight, label);
    assert.equal(c.format?.cacheEnabled, k.cache, label);
    // Both directions only decode if the broker uses the same format: repeated ids exercise the cache.
    await roundTrip(c, label);
    await roundTrip(c, label);
    c.close();
  }
});

test('openwire: the inactivity monitor drops a silent client and keeps one that answers KeepAliveInfo', async (t) => {
  const silent = await connect(t, 'inactive');
  const talker = await connect(t, 'inactive', { answerKeepAlive: true });
  assert.equal(talker.format?.maxInactivityDuration, INACTIVITY_MS);
  await silent.waitClosed(4 * INACTIVITY_MS);
  assert.equal(silent.commands.some((x) => x.type === 16), false, 'an inactive client is dropped, not told');
  await new Promise((r) => setTimeout(r, 3.5 * INACTIVITY_MS));
  assert.equal(talker.closed, false, 'a client that answers keeps its connection past 3x the duration');
  assert.ok(talker.keepAliveTimes.length >= 3, `KeepAliveInfo sent meanwhile (${talker.keepAliveTimes.length})`);
  await roundTrip(talker, 'inactivity-talker');
});

test('openwire: a socket that never sends WireFormatInfo, or never ConnectionInfo, is closed after openwire.connectTimeout', async (t) => {
  const mute = closeAfter(t, await RawOpenWire.open(port('plain')));
  const half = closeAfter(t, await RawOpenWire.open(port('plain')));
  const began = Date.now();
  half.sendWireFormat();
  await mute.waitClosed(CLOSE_WITHIN_MS);
  assert.ok(Date.now() - began >= CONNECT_TIMEOUT_MS - 50, `not before the timeout (${Date.now() - began} ms)`);
  const err = await half.errorThenClose(CLOSE_WITHIN_MS);
  assert.match(messageOf(err), new RegExp(`ConnectionInfo within ${CONNECT_TIMEOUT_MS} ms`));
});

test('openwire: maximumConnections=2 refuses the third connection; the first two work', async (t) => {
  const a = await connect(t, 'capped');
  const b = await connect(t, 'capped');
  const third = closeAfter(t, await RawOpenWire.open(port('capped')));
  await third.waitClosed(CLOSE_WITHIN_MS);
  assert.equal(third.brokerWireFormat, undefined, 'a refused connection is closed before any OpenWire');

  const dest = 'queue://ow.limits.capped';
  await a.subscribe(dest);
  await b.sendText(dest, 'from b');
  assert.equal(textOf(await a.message()), 'from b');

  // A slot freed by a closing connection can be used again (the server sees the close a moment later).
  b.close();
  let c: RawOpenWire | undefined;
  for (let attempt = 0; attempt < 50 && !c; attempt++) {
    c = await RawOpenWire.connect(port('capped')).catch(() => undefined);
    if (!c) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(c, 'a new connection is accepted once one has closed');
  closeAfter(t, c);
  await c.sendText(dest, 'again');
  assert.equal(textOf(await a.message()), 'again');
});

test('openwire: an invalid selector gets an ExceptionResponse for that command; the connection carries on', async (t) => {
  const c = await connect(t, 'limited');
  const info = c.consumerInfo('queue://ow.limits.selector', { selector: 'a = = 1' });
  const id = c.send({ ...info, responseRequired: true });
  const r = await c.next((x) => x.type === 30 || x.type === 31);
  assert.ok(r.type === 31, `ExceptionResponse, got type ${r.type}`);
  assert.equal(r.correlationId, id);
  assert.equal(r.exception?.className, 'javax.jms.InvalidSelectorException');
  assert.equal(c.closed, false);
  await roundTrip(c, 'after-exception');
});

test('openwire: a command before ConnectionInfo gets a ConnectionError and the close', async (t) => {
  const c = closeAfter(t, await RawOpenWire.open(port('plain')));
  c.sendWireFormat();
  await c.next((x) => x.type === 2);
  c.send(c.consumerInfo('queue://ow.limits.early'));
  const err = await c.errorThenClose(CLOSE_WITHIN_MS);
  assert.match(messageOf(err), /before ConnectionInfo/);
});

test('openwire: a client reconnecting with its ConnectionId replaces its old connection; another ConnectionId with the same client id is refused', async (t) => {
  const first = await connect(t, 'plain');
  // Another connection claiming the same client id under another ConnectionId: refused, first stays.
  const rival = closeAfter(t, await RawOpenWire.open(port('plain')));
  rival.sendWireFormat();
  await rival.next((x) => x.type === 2);
  const refused = await rival.request({ ...command(3, { connectionId: { type: 120, value: `${first.connectionId}-other` }, clientId: first.connectionId }), responseRequired: true });
  assert.equal(refused.type === 31 ? refused.exception?.className : 'Response', 'javax.jms.InvalidClientIDException');
  assert.equal(first.closed, false);
  // The same client reconnecting (failover over a half-open connection): the old one goes.
  const again = closeAfter(t, await RawOpenWire.open(port('plain')));
  again.sendWireFormat();
  await again.next((x) => x.type === 2);
  await again.expectOk(command(3, { connectionId: { type: 120, value: first.connectionId }, clientId: first.connectionId }));
  await first.waitClosed(CLOSE_WITHIN_MS);
  await again.expectOk(command(4, { sessionId: { type: 121, connectionId: first.connectionId, value: 1 } }));
  await roundTrip(again, 'reconnected');
});

test('openwire: ConsumerControl gives a consumer restored in pull mode its prefetch back (failover recovery)', async (t) => {
  const c = await connect(t, 'plain');
  const dest = `queue://ow.limits.control.${++seq}`;
  // What ActiveMQ's failover transport replays while it clears the old broker's dispatches: prefetch 0.
  const info = await c.subscribe(dest, { prefetchSize: 0 });
  await c.sendText(dest, 'waiting');
  await assert.rejects(c.message(300), /timed out|no command/i, 'nothing is pushed in pull mode');
  c.send(command(17, { consumerId: info.consumerId, destination: info.destination, prefetch: 1000 }));
  assert.equal(textOf(await c.message()), 'waiting');
});

test('openwire: a compressed body that would inflate past wireFormat.maxFrameSize is refused; the connection carries on', async (t) => {
  const c = await connect(t, 'limited');
  const producerId = { type: 123 as const, connectionId: c.connectionId, value: 99, sessionId: 1 };
  // 1 MB of zeros deflates to about 1 KB: a small frame that would be 16x the 64 KB limit inflated.
  const bomb = deflateContent(Buffer.alloc(1024 * 1024), 'bytes-message');
  assert.ok(bomb.length < FRAME_LIMIT);
  const id = c.send({
    ...command(24, {
      producerId,
      destination: destination('queue://ow.limits.bomb'),
      messageId: { type: 110, producerId, producerSequenceId: 1, brokerSequenceId: 0, textView: null },
      persistent: true,
      priority: 4,
      timestamp: Date.now(),
      compressed: true,
      content: bomb,
    }),
    responseRequired: true,
  });
  const r = await c.next((x) => x.type === 30 || x.type === 31);
  assert.ok(r.type === 31 && r.correlationId === id, `ExceptionResponse, got type ${r.type}`);
  assert.match(String(r.exception?.message), /FRAME_TOO_LARGE/);
  assert.equal(c.closed, false);
  await roundTrip(c, 'after-bomb');
});
