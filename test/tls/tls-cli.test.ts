/** `ferrymq tls init` / `issue` as real processes, and the makeTestPki helper built on the same code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestPki } from '../helpers/pki.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferrymq-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function cert(path: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(path));
}

test('tls: makeTestPki issues CA-signed, expired and self-signed certificates', async (t) => {
  const pki = await makeTestPki(await tempDir(t));
  const ca = await cert(pki.caCert);
  const hub = await cert((await pki.issue('hub')).cert);
  assert.ok(hub.checkIssued(ca));
  assert.ok(hub.verify(ca.publicKey));
  assert.match(hub.subjectAltName ?? '', /DNS:localhost/);
  assert.match(hub.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);

  const expired = await cert((await pki.issue('old', { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) })).cert);
  assert.ok(new Date(expired.validTo).getTime() < Date.now());
  assert.ok(expired.verify(ca.publicKey));

  const stranger = await cert((await pki.issue('stranger', { signedBy: 'self' })).cert);
  assert.equal(stranger.checkIssued(ca), false);
  assert.equal(stranger.verify(ca.publicKey), false);
});
