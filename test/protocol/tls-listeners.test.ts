/**
 * TLS listeners (`stomp+ssl://`, `ssl://`, `wss://`, `auto+ssl://`) with certificates made by the
 * test (`ferrymq tls`'s own functions): handshakes, needClientAuth / wantClientAuth with trusted,
 * untrusted and missing client certificates, a refused handshake that leaves the listener serving,
 * config errors that name the key and the file, and a renewed certificate used without a restart.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { ConfigError, defaultConfig } from '../../src/config/load.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { makeTestPki, type TestPki } from '../helpers/pki.js';
import { command, RawOpenWire, textOf } from '../helpers/openwire-raw.js';

const LISTENERS = {
  stomp: 'stomp+ssl://127.0.0.1:0',
  need: 'stomp+ssl://127.0.0.1:0?needClientAuth=true',
  want: 'stomp+ssl://127.0.0.1:0?wantClientAuth=true',
  openwire: 'ssl://127.0.0.1:0',
  wss: 'wss://127.0.0.1:0',
  auto: 'auto+ssl://127.0.0.1:0',
  plain: 'stomp://127.0.0.1:0',
} as const;

interface Who {
  cert?: string;
  key?: string;
}

/** Opens a TLS connection trusting the test CA; resolves with the socket or rejects with the handshake error. */
function connect(port: number, ca: string, who: Who = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: readPem(ca), servername: 'localhost', ...(who.cert ? { cert: readPem(who.cert), key: readPem(who.key!) } : {}) }, () => resolve(s));
    s.once('error', reject);
  });
}

function readPem(p: string): Buffer {
  return readFileSync(p);
}

/** STOMP CONNECT over the socket; resolves with the first frame's command (CONNECTED), rejects when the broker closes first. */
function stompConnect(s: tls.TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const nl = got.indexOf('\n');
      if (nl >= 0) resolve(got.slice(0, nl));
    });
    s.once('close', () => reject(new Error(`closed before a frame (had ${JSON.stringify(got)})`)));
    s.once('error', () => undefined);
    s.write('CONNECT\naccept-version:1.2\nhost:localhost\n\n\0');
  });
}

/** Either the handshake fails or the broker closes the socket before answering: refused. */
async function refused(port: number, ca: string, who: Who = {}): Promise<void> {
  let s: tls.TLSSocket;
  try {
    s = await connect(port, ca, who);
  } catch {
    return;
  }
  // TLS 1.3: the client finishes its side before the server has checked the client certificate.
  await assert.rejects(stompConnect(s));
  s.destroy();
}

describe('tls: TLS listeners', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrymq-tls-'));
  let pki: TestPki;
  let hub: { cert: string; key: string };
  let tb: TestBroker;
  const port = (name: keyof typeof LISTENERS): number => {
    const p = tb.broker.listeners.find((l) => l.uri === LISTENERS[name])?.port;
    assert.ok(p !== undefined, name);
    return p;
  };

  before(async () => {
    pki = await makeTestPki(dir);
    hub = await pki.issue('hub');
    tb = await startTestBroker({
      listeners: Object.values(LISTENERS).map((uri) => ({ uri })),
      tls: { cert: hub.cert, key: hub.key, ca: pki.caCert, reloadInterval: 200 },
    });
  });
  after(async () => {
    await tb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('tls: stomp+ssl:// serves STOMP with the configured certificate; TLS 1.2 at least', async () => {
    const s = await connect(port('stomp'), pki.caCert);
    assert.equal(await stompConnect(s), 'CONNECTED');
    assert.match(String(s.getProtocol()), /TLSv1\.[23]/);
    s.destroy();
    // TLS 1.1 is refused by default (minVersion TLSv1.2).
    await assert.rejects(
      new Promise((resolve, reject) => {
        const old = tls.connect({ host: '127.0.0.1', port: port('stomp'), ca: readPem(pki.caCert), servername: 'localhost', maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => resolve(old));
        old.once('error', reject);
      }),
    );
  });

  test('tls: needClientAuth accepts a client certificate signed by the CA and refuses none or an untrusted one', async () => {
    const spoke = await pki.issue('spoke', { client: true });
    const stranger = await pki.issue('stranger', { client: true, signedBy: 'self' });
    const ok = await connect(port('need'), pki.caCert, spoke);
    assert.equal(await stompConnect(ok), 'CONNECTED');
    ok.destroy();
    await refused(port('need'), pki.caCert);
    await refused(port('need'), pki.caCert, stranger);
    // The listener keeps serving, and so do the others.
    const again = await connect(port('need'), pki.caCert, spoke);
    assert.equal(await stompConnect(again), 'CONNECTED');
    again.destroy();
  });

  test('tls: wantClientAuth accepts clients without a certificate or with a trusted one, refuses an untrusted one', async () => {
    const spoke = await pki.issue('spoke2', { client: true });
    const stranger = await pki.issue('stranger2', { client: true, signedBy: 'self' });
    for (const who of [{}, spoke]) {
      const s = await connect(port('want'), pki.caCert, who);
      assert.equal(await stompConnect(s), 'CONNECTED');
      s.destroy();
    }
    await refused(port('want'), pki.caCert, stranger);
  });

  test('tls: ssl:// serves OpenWire, wss:// STOMP over WebSocket, auto+ssl:// both', async () => {
    const ow = RawOpenWire.over(await connect(port('openwire'), pki.caCert));
    ow.sendWireFormat();
    await ow.next((x) => x.type === 2);
    await ow.start();
    await ow.subscribe('queue://tls.ow');
    await ow.sendText('queue://tls.ow', 'over tls');
    assert.equal(textOf(await ow.message()), 'over tls');
    ow.close();

    const auto = RawOpenWire.over(await connect(port('auto'), pki.caCert));
    auto.sendWireFormat();
    await auto.next((x) => x.type === 2);
    await auto.expectOk(command(3, { connectionId: { type: 120, value: auto.connectionId } }));
    auto.close();
    const autoStomp = await connect(port('auto'), pki.caCert);
    assert.equal(await stompConnect(autoStomp), 'CONNECTED');
    autoStomp.destroy();

    const ws = new WebSocket(`wss://127.0.0.1:${port('wss')}`, ['v12.stomp'], { ca: readPem(pki.caCert) });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('CONNECT\naccept-version:1.2\nhost:localhost\n\n\0'));
      ws.once('message', (d) => resolve(String(d).split('\n')[0] ?? ''));
      ws.once('error', reject);
    });
    assert.equal(first, 'CONNECTED');
    ws.close();
  });

  test('tls: a renewed certificate is used for new connections without a restart', async () => {
    const before = await connect(port('stomp'), pki.caCert);
    const oldSerial = before.getPeerCertificate().serialNumber;
    before.destroy();
    const renewed = await pki.issue('hub-renewed');
    copyFileSync(renewed.cert, hub.cert);
    copyFileSync(renewed.key, hub.key);
    let serial = oldSerial;
    for (let i = 0; i < 50 && serial === oldSerial; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const s = await connect(port('stomp'), pki.caCert);
      serial = s.getPeerCertificate().serialNumber;
      s.destroy();
    }
    assert.notEqual(serial, oldSerial, 'the renewed certificate was not picked up');
  });

  test('tls: config problems name the key and the file: missing file, key of another certificate, expired certificate, no CA for client auth', async () => {
    const other = await pki.issue('other');
    const expired = await pki.issue('expired', { notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const problem = (tlsCfg: Record<string, string>, uri = 'ssl://127.0.0.1:0'): string => {
      try {
        defaultConfig({ listeners: [{ uri }], tls: tlsCfg });
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.message;
      }
      return 'no error';
    };
    assert.match(problem({ cert: join(dir, 'nope.pem'), key: hub.key }), /tls\.cert: cannot read .*nope\.pem \(ENOENT\)/);
    assert.match(problem({ cert: hub.cert, key: other.key }), /tls\.key: .*other\.key is not the private key of .*hub\.pem/);
    assert.match(problem({ cert: expired.cert, key: expired.key }), /tls\.cert: .*expired\.pem: the certificate expired/);
    assert.match(problem({ cert: hub.cert, key: hub.key }, 'ssl://127.0.0.1:0?needClientAuth=true'), /needClientAuth\/wantClientAuth need tls\.ca/);
    // An encrypted key: the right passphrase works, a wrong one is named as such.
    const encrypted = join(dir, 'hub-encrypted.key');
    writeFileSync(encrypted, createPrivateKey(readFileSync(hub.key)).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'right' }));
    assert.equal(problem({ cert: hub.cert, key: encrypted, passphrase: 'right' }), 'no error');
    assert.match(problem({ cert: hub.cert, key: encrypted, passphrase: 'wrong' }), /tls\.key: wrong passphrase for .*hub-encrypted\.key/);
  });
});
