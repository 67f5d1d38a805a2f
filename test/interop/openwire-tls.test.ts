/**
 * ActiveMQ's Java JMS client over `ssl://` with mutual TLS, certificates from `ferrymq tls`'s own
 * functions: the Java side gets the CA in a trust store (keytool) and its client certificate in a
 * PKCS#12 key store (openssl), as a Java service would. A client whose certificate another CA
 * signed is refused; the broker's `pfx` option takes a PKCS#12 file too.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { JmsShell } from '../helpers/jms-shell.js';
import { makeTestPki, type TestPki } from '../helpers/pki.js';

const STORE_PASSWORD = 'changeit';
const OPENSSL_HINT = 'install it with: apt-get install -y openssl (scripts/install-test-deps.sh)';

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error(`${cmd} not found: ${OPENSSL_HINT}`);
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

/** A PKCS#12 file holding a certificate and its key. */
function pkcs12(cert: string, key: string, out: string): string {
  run('openssl', ['pkcs12', '-export', '-in', cert, '-inkey', key, '-out', out, '-passout', `pass:${STORE_PASSWORD}`]);
  return out;
}

/** A Java trust store holding the CA certificate. */
function trustStore(ca: string, out: string): string {
  run('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', ca, '-keystore', out, '-storetype', 'PKCS12', '-storepass', STORE_PASSWORD]);
  return out;
}

function jvmTls(trust: string, keyStore?: string): string[] {
  const args = [`-Djavax.net.ssl.trustStore=${trust}`, `-Djavax.net.ssl.trustStorePassword=${STORE_PASSWORD}`, '-Djavax.net.ssl.trustStoreType=PKCS12'];
  if (keyStore) args.push(`-Djavax.net.ssl.keyStore=${keyStore}`, `-Djavax.net.ssl.keyStorePassword=${STORE_PASSWORD}`, '-Djavax.net.ssl.keyStoreType=PKCS12');
  return args;
}

describe('openwire: the Java client over ssl:// with mutual TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrymq-owtls-'));
  let pki: TestPki;
  let tb: TestBroker;
  const shells: JmsShell[] = [];
  let url = '';

  before(async () => {
    pki = await makeTestPki(dir);
    const hub = await pki.issue('hub');
    // The broker's identity as PKCS#12 (the `pfx` alternative to cert + key).
    const hubPfx = pkcs12(hub.cert, hub.key, join(dir, 'hub.p12'));
    tb = await startTestBroker({
      listeners: [{ uri: 'ssl://127.0.0.1:0?needClientAuth=true' }],
      tls: { pfx: hubPfx, passphrase: STORE_PASSWORD, ca: pki.caCert },
    });
    url = `ssl://127.0.0.1:${tb.broker.listeners[0]?.port}`;
  });
  after(async () => {
    for (const s of shells) await s.close();
    await tb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('openwire: a Java client with a certificate signed by the CA sends and receives over ssl://', async () => {
    const app = await pki.issue('app', { client: true });
    const shell = await JmsShell.start({ jvmArgs: jvmTls(trustStore(pki.caCert, join(dir, 'trust.p12')), pkcs12(app.cert, app.key, join(dir, 'app.p12'))) });
    shells.push(shell);
    await shell.call({ cmd: 'connect', url, start: true });
    await shell.call({ cmd: 'session', id: 's' });
    await shell.call({ cmd: 'producer', id: 'p', session: 's', dest: 'queue://tls.orders', deliveryMode: 'persistent' });
    await shell.call({ cmd: 'consumer', id: 'c', session: 's', dest: 'queue://tls.orders' });
    await shell.call({ cmd: 'send', producer: 'p', message: { type: 'text', body: 'secret order' } });
    const got = await shell.call({ cmd: 'receive', consumer: 'c', timeout: 5000 });
    assert.equal(got.messages?.[0]?.body, 'secret order');
  });

  test('openwire: a Java client whose certificate another CA signed, or without one, is refused', async () => {
    const other = await makeTestPki(mkdtempSync(join(dir, 'other-')));
    const stranger = await other.issue('stranger', { client: true });
    const trust = trustStore(pki.caCert, join(dir, 'trust2.p12'));
    for (const keyStore of [pkcs12(stranger.cert, stranger.key, join(dir, 'stranger.p12')), undefined]) {
      const shell = await JmsShell.start({ jvmArgs: jvmTls(trust, keyStore) });
      shells.push(shell);
      const r = await shell.attempt({ cmd: 'connect', url: `${url}?soTimeout=5000`, start: true, options: { closeTimeout: 1000 } });
      assert.equal(r.ok, false, `a client with ${keyStore ? 'an untrusted certificate' : 'no certificate'} connected`);
    }
  });
});
