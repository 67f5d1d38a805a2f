/**
 * `ferrymq tls init` / `issue` as real processes: the files and their modes, what the certificates
 * say (read back with node:crypto), a real mutual-TLS handshake with node:tls, refusals and errors.
 * Then the makeTestPki helper, built on the same src/tls code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { runCli, type CliResult } from '../cli/cli-process.js';
import { makeTestPki } from '../helpers/pki.js';

const DAY_MS = 86_400_000;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 64;

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferrymq-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function cert(path: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(path));
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function tlsCli(cwd: string, ...args: string[]): Promise<CliResult> {
  return runCli(['tls', ...args], { cwd });
}

function assertOk(r: CliResult): void {
  assert.equal(r.code, 0, `exit ${r.code}; stdout=${r.stdout} stderr=${r.stderr}`);
}

interface PemFiles {
  cert: string;
  key: string;
  ca: string;
}

interface HandshakeResult {
  /** The client read the server's reply: both sides accepted each other. */
  accepted: boolean;
  /** CN of the client certificate the server saw, when it accepted. */
  clientCn: string | undefined;
}

/** One mutual-TLS connection over 127.0.0.1 between a node:tls server and client with these files. */
async function handshake(server: PemFiles, client: PemFiles): Promise<HandshakeResult> {
  const read = async (f: PemFiles) => ({ cert: await readFile(f.cert), key: await readFile(f.key), ca: await readFile(f.ca) });
  const [s, c] = await Promise.all([read(server), read(client)]);
  let clientCn: string | undefined;
  const srv = createServer({ ...s, requestCert: true, rejectUnauthorized: true }, (socket: TLSSocket) => {
    clientCn = socket.getPeerCertificate().subject?.CN as string | undefined;
    socket.end('pong');
  });
  srv.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  try {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect({ ...c, host: '127.0.0.1', port });
      let reply = '';
      socket.setEncoding('utf8').on('data', (d: string) => (reply += d));
      socket.on('error', () => resolve(false));
      socket.on('close', () => resolve(reply === 'pong'));
    });
    return { accepted, clientCn };
  } finally {
    await new Promise((resolve) => srv.close(resolve));
  }
}

test('tls: init and issue write the CA, server and client files with private keys 0600', async (t) => {
  const cwd = await tempDir(t);
  const init = await tlsCli(cwd, 'init');
  assertOk(init);
  assert.match(init.stdout, /wrote certs\/ca\.pem/);
  const hub = await tlsCli(cwd, 'issue', 'hub', '--san', 'hub.example.com,10.1.2.3,::1');
  assertOk(hub);
  assert.match(hub.stdout, /^tls: \{ cert: certs\/hub\.pem, key: certs\/hub\.key, ca: certs\/ca\.pem \}$/m);
  assertOk(await tlsCli(cwd, 'issue', 'spoke', '--client', '--days', '30'));
  const certs = join(cwd, 'certs');
  for (const name of ['ca', 'hub', 'spoke']) {
    assert.equal(await mode(join(certs, `${name}.key`)), 0o600, `${name}.key`);
    assert.equal(await mode(join(certs, `${name}.pem`)), 0o644, `${name}.pem`);
    assert.match(await readFile(join(certs, `${name}.key`), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  }
});

test('tls: the certificates name their issuer, subject, SANs, validity and purpose', async (t) => {
  const cwd = await tempDir(t);
  assertOk(await tlsCli(cwd, 'init', '--days', '100'));
  assertOk(await tlsCli(cwd, 'issue', 'hub', '--san', 'hub.example.com,10.1.2.3'));
  assertOk(await tlsCli(cwd, 'issue', 'spoke', '--client', '--days', '30'));
  assertOk(await tlsCli(cwd, 'issue', 'edge'));
  const ca = await cert(join(cwd, 'certs/ca.pem'));
  const hub = await cert(join(cwd, 'certs/hub.pem'));
  const spoke = await cert(join(cwd, 'certs/spoke.pem'));
  const edge = await cert(join(cwd, 'certs/edge.pem'));

  assert.equal(ca.ca, true);
  assert.equal(ca.issuer, ca.subject);
  assert.ok(ca.verify(ca.publicKey));
  assert.ok(Math.abs(new Date(ca.validTo).getTime() - (Date.now() + 100 * DAY_MS)) < DAY_MS);
  assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');

  for (const leaf of [hub, spoke, edge]) {
    assert.equal(leaf.ca, false);
    assert.equal(leaf.issuer, ca.subject);
    assert.ok(leaf.checkIssued(ca));
    assert.ok(leaf.verify(ca.publicKey));
    assert.ok(new Date(leaf.validFrom).getTime() <= Date.now());
  }
  assert.equal(hub.subject, 'CN=hub');
  assert.equal(hub.subjectAltName, 'DNS:hub.example.com, IP Address:10.1.2.3');
  assert.deepEqual(hub.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // serverAuth, clientAuth
  assert.ok(hub.checkHost('hub.example.com'));
  assert.ok(hub.checkIP('10.1.2.3'));
  assert.ok(Math.abs(new Date(hub.validTo).getTime() - (Date.now() + 825 * DAY_MS)) < DAY_MS);

  assert.equal(spoke.subject, 'CN=spoke');
  assert.deepEqual(spoke.keyUsage, ['1.3.6.1.5.5.7.3.2']); // clientAuth only
  assert.equal(spoke.subjectAltName, undefined);
  assert.ok(Math.abs(new Date(spoke.validTo).getTime() - (Date.now() + 30 * DAY_MS)) < DAY_MS);

  assert.equal(edge.subjectAltName, 'DNS:edge, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.notEqual(hub.serialNumber, spoke.serialNumber);
});

test('tls: a mutual-TLS handshake succeeds with issued certificates and refuses another CA\'s client', async (t) => {
  const cwd = await tempDir(t);
  assertOk(await tlsCli(cwd, 'init'));
  assertOk(await tlsCli(cwd, 'issue', 'hub'));
  assertOk(await tlsCli(cwd, 'issue', 'spoke', '--client'));
  assertOk(await tlsCli(cwd, 'init', '--dir', 'other'));
  assertOk(await tlsCli(cwd, 'issue', 'intruder', '--client', '--dir', 'other'));
  const files = (dir: string, name: string): PemFiles => ({ cert: join(cwd, dir, `${name}.pem`), key: join(cwd, dir, `${name}.key`), ca: join(cwd, 'certs/ca.pem') });

  const good = await handshake(files('certs', 'hub'), files('certs', 'spoke'));
  assert.deepEqual(good, { accepted: true, clientCn: 'spoke' });

  const intruder = await handshake(files('certs', 'hub'), files('other', 'intruder'));
  assert.deepEqual(intruder, { accepted: false, clientCn: undefined });
});

test('tls: RSA keys on request (--rsa) also make a working mutual-TLS pair', async (t) => {
  const cwd = await tempDir(t);
  assertOk(await tlsCli(cwd, 'init', '--rsa'));
  assertOk(await tlsCli(cwd, 'issue', 'hub', '--rsa'));
  assertOk(await tlsCli(cwd, 'issue', 'spoke', '--client'));
  assert.equal((await cert(join(cwd, 'certs/hub.pem'))).publicKey.asymmetricKeyType, 'rsa');
  const files = (name: string): PemFiles => ({ cert: join(cwd, `certs/${name}.pem`), key: join(cwd, `certs/${name}.key`), ca: join(cwd, 'certs/ca.pem') });
  assert.deepEqual(await handshake(files('hub'), files('spoke')), { accepted: true, clientCn: 'spoke' });
});

test('tls: existing files are kept unless --force', async (t) => {
  const cwd = await tempDir(t);
  assertOk(await tlsCli(cwd, 'init'));
  const caBefore = await readFile(join(cwd, 'certs/ca.pem'), 'utf8');
  const again = await tlsCli(cwd, 'init');
  assert.equal(again.code, EXIT_FAILURE);
  assert.match(again.stderr, /certs\/ca\.pem already exists \(give --force to replace it\)/);
  assert.equal(await readFile(join(cwd, 'certs/ca.pem'), 'utf8'), caBefore);

  assertOk(await tlsCli(cwd, 'issue', 'hub'));
  const hubBefore = await readFile(join(cwd, 'certs/hub.pem'), 'utf8');
  const reissue = await tlsCli(cwd, 'issue', 'hub');
  assert.equal(reissue.code, EXIT_FAILURE);
  assert.match(reissue.stderr, /hub\.pem already exists/);
  assert.equal(await readFile(join(cwd, 'certs/hub.pem'), 'utf8'), hubBefore);

  assertOk(await tlsCli(cwd, 'issue', 'hub', '--force'));
  assert.notEqual(await readFile(join(cwd, 'certs/hub.pem'), 'utf8'), hubBefore);
  assert.equal(await mode(join(cwd, 'certs/hub.key')), 0o600);
});

test('tls: errors: no CA, bad SAN, NAME with path characters, bad --days', async (t) => {
  const cwd = await tempDir(t);
  const noCa = await tlsCli(cwd, 'issue', 'hub', '--dir', 'empty');
  assert.equal(noCa.code, EXIT_FAILURE);
  assert.match(noCa.stderr, /no CA in empty .*run ferrymq tls init first/);

  assertOk(await tlsCli(cwd, 'init'));
  const cases: Array<[string[], RegExp]> = [
    [['issue', 'hub', '--san', 'hub.example.com,not a host'], /invalid SAN entry "not a host"/],
    [['issue', 'hub', '--san=-bad.example.com'], /invalid SAN entry "-bad.example.com"/],
    [['issue', 'hub', '--san', 'under_score.example'], /invalid SAN entry/],
    [['issue', '../hub'], /invalid NAME "\.\.\/hub".*no path characters/],
    [['issue', 'a/b'], /invalid NAME/],
    [['issue', 'ca'], /reserved for the CA/],
    [['issue', 'hub', '--days', '0'], /--days must be a whole number/],
    [['issue'], /tls issue needs a NAME/],
    [['renew'], /unknown tls command "renew"/],
    [['init', '--san', 'x'], /tls init does not take --san/],
  ];
  for (const [args, message] of cases) {
    const r = await tlsCli(cwd, ...args);
    assert.equal(r.code, EXIT_USAGE, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.equal((await stat(join(cwd, 'certs/hub.pem')).catch(() => undefined)), undefined);
});

test('tls: makeTestPki issues CA-signed, expired and self-signed certificates', async (t) => {
  const pki = await makeTestPki(await tempDir(t));
  const ca = await cert(pki.caCert);
  const hub = await pki.issue('hub');
  const hubCert = await cert(hub.cert);
  assert.ok(hubCert.checkIssued(ca));
  assert.ok(hubCert.verify(ca.publicKey));
  assert.match(hubCert.subjectAltName ?? '', /DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
  assert.equal(await mode(hub.key), 0o600);

  const expired = await cert((await pki.issue('old', { notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) })).cert);
  assert.ok(new Date(expired.validTo).getTime() < Date.now());
  assert.ok(expired.verify(ca.publicKey));
  const future = await cert((await pki.issue('later', { notBefore: new Date(Date.now() + DAY_MS), days: 10 })).cert);
  assert.ok(new Date(future.validFrom).getTime() > Date.now());

  const stranger = await cert((await pki.issue('stranger', { signedBy: 'self' })).cert);
  assert.equal(stranger.checkIssued(ca), false);
  assert.equal(stranger.verify(ca.publicKey), false);

  const client = await cert((await pki.issue('app', { client: true, san: ['app.internal'] })).cert);
  assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(client.subjectAltName, 'DNS:app.internal');
});
