/**
 * auto:// listeners over real sockets: STOMP and OpenWire clients (our raw client and ActiveMQ's
 * Java client) on one port see each other's messages; heart-beat EOLs before CONNECT are fine, a
 * first frame cut into single bytes is still recognised; garbage and silence are closed.
 * One broker (and one JVM) for the file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenWireEncoder, createWireFormatInfo } from '../../src/protocols/openwire/codec/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { JmsShell } from '../helpers/jms-shell.js';
import { RawOpenWire, textOf } from '../helpers/openwire-raw.js';
import { closeAfter, RawStomp } from '../helpers/stomp-client.js';

const CONNECT_TIMEOUT_MS = 300;
const CLOSE_WITHIN_MS = 5000;

let tb: TestBroker;
let port: number;

before(async () => {
  tb = await startTestBroker({ listeners: [{ uri: 'auto://127.0.0.1:0' }], openwire: { connectTimeout: CONNECT_TIMEOUT_MS } });
  const p = tb.broker.listeners.find((l) => l.scheme === 'auto')?.port;
  assert.ok(p !== undefined);
  port = p;
});
after(() => tb.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('auto: STOMP and OpenWire clients on the same port see each other\'s messages', async (t) => {
  const stomp = closeAfter(t, await RawStomp.connect(port));
  const ow = closeAfter(t, await RawOpenWire.connect(port));
  await stomp.subscribe('/queue/auto.to-stomp');
  await ow.subscribe('queue://auto.to-openwire');
  await ow.sendText('queue://auto.to-stomp', 'from openwire');
  assert.equal((await stomp.message()).body.toString(), 'from openwire');
  await stomp.publish('/queue/auto.to-openwire', 'from stomp');
  const got = await ow.message();
  const body = got.message?.type === 28 ? textOf(got) : got.message?.content?.toString();
  assert.equal(body, 'from stomp');
});

test('auto: ActiveMQ\'s Java client works on an auto:// port next to STOMP', async (t) => {
  const shell = await JmsShell.start({ url: `tcp://127.0.0.1:${port}`, clientId: 'auto-java' });
  t.after(() => shell.close());
  const stomp = closeAfter(t, await RawStomp.connect(port));
  await shell.call({ cmd: 'session', id: 's' });
  await shell.call({ cmd: 'consumer', id: 'c', session: 's', dest: 'queue://auto.java-in' });
  await shell.call({ cmd: 'producer', id: 'p', session: 's', dest: 'queue://auto.java-out' });
  await stomp.subscribe('/queue/auto.java-out');
  await shell.call({ cmd: 'send', producer: 'p', message: { type: 'text', body: 'from java' } });
  assert.equal((await stomp.message()).body.toString(), 'from java');
  await stomp.publish('/queue/auto.java-in', 'to java', { 'content-length': '7' });
  const r = await shell.call({ cmd: 'receive', consumer: 'c', timeout: 5000 });
  assert.equal(r.count, 1);
});

test('auto: an OpenWire first frame arriving one byte at a time is still recognised', async (t) => {
  const c = closeAfter(t, await RawOpenWire.open(port));
  const first = new OpenWireEncoder().encodeWireFormatInfo(createWireFormatInfo());
  // The detector waits for 13 bytes; trickle them, then let the client send its WireFormatInfo normally.
  for (let i = 0; i < 16; i++) {
    c.raw(first.subarray(i, i + 1));
    await sleep(2);
  }
  c.raw(first.subarray(16));
  // The raw bytes already sent our WireFormatInfo: negotiate as if sendWireFormat had done it.
  c.adoptWireFormat(createWireFormatInfo());
  await c.next((x) => x.type === 2);
  await c.start();
  await c.subscribe('queue://auto.trickle');
  await c.sendText('queue://auto.trickle', 'trickled');
  assert.equal(textOf(await c.message()), 'trickled');
});

test('auto: a STOMP client that sends heart-beat EOLs before CONNECT works', async (t) => {
  const c = closeAfter(t, await RawStomp.open(port));
  c.raw('\n');
  await sleep(20);
  c.raw('\r\n\n');
  await sleep(20);
  c.raw('CON');
  await sleep(20);
  c.raw('NECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n\n\0');
  await c.next((f) => f.command === 'CONNECTED');
  await c.subscribe('/queue/auto.eol');
  await c.publish('/queue/auto.eol', 'after eols');
  assert.equal((await c.message()).body.toString(), 'after eols');
});

test('auto: garbage first bytes close the connection at once', async (t) => {
  for (const garbage of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', '\x16\x03\x01\x02\x00\x01\x00', '\n\nSEND\n', '\x00\x00\x01\x00\x02ActiveMQ']) {
    const c = closeAfter(t, await RawStomp.open(port));
    const began = Date.now();
    c.raw(Buffer.from(garbage, 'latin1'));
    await c.waitClosed(CLOSE_WITHIN_MS);
    assert.ok(Date.now() - began < CONNECT_TIMEOUT_MS, `${JSON.stringify(garbage)} closed on sight, not by the timeout`);
    assert.equal(c.frames.length, 0, 'nothing is answered');
  }
  // Only EOLs, past the detector's byte limit.
  const eols = closeAfter(t, await RawStomp.open(port));
  eols.raw('\n'.repeat(300));
  await eols.waitClosed(CLOSE_WITHIN_MS);
});

test('auto: a client that sends nothing is closed after the connect timeout', async (t) => {
  const c = closeAfter(t, await RawStomp.open(port));
  const began = Date.now();
  await c.waitClosed(CLOSE_WITHIN_MS);
  assert.ok(Date.now() - began >= CONNECT_TIMEOUT_MS - 50, `not before the timeout (${Date.now() - began} ms)`);
  // Undecided (half a command) is closed the same way.
  const half = closeAfter(t, await RawStomp.open(port));
  half.raw('CONN');
  await half.waitClosed(CLOSE_WITHIN_MS);
});
