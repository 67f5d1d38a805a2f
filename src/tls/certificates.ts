/**
 * Certificates for a FerryMQ deployment: one private CA, and server or client certificates it
 * signs. Everything is built with @peculiar/x509 (no hand-written ASN.1); keys are PKCS#8 PEM.
 *
 * Profile (what a broker, a bridge and a Java or Node client all accept):
 * - CA: basicConstraints CA:TRUE pathLen 0 (critical), keyUsage keyCertSign + cRLSign (critical).
 * - server: CA:FALSE, keyUsage digitalSignature (+ keyEncipherment for RSA), extendedKeyUsage
 *   serverAuth + clientAuth (a broker also dials out as a network bridge), SANs (DNS and IP).
 * - client: the same with extendedKeyUsage clientAuth only.
 * Serials are 127 random bits (RFC 5280 4.1.2.2: positive, at most 20 octets, unique per CA).
 */
import { randomBytes } from 'node:crypto';
import { generateKeys, privateKeyFromPem, privateKeyToPem, signingAlgorithm, x509, type KeyType } from './x509.js';
import type { SubjectAltName } from './names.js';

/** Certificates start this long ago, so a peer whose clock is a little behind accepts a fresh one. */
const CLOCK_SKEW_MS = 5 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** Serial length in bytes: 16 (with the top bit cleared, so it stays positive). */
const SERIAL_BYTES = 16;

/** A certificate and its private key, both PEM. */
export interface PemPair {
  readonly cert: string;
  readonly key: string;
}

export interface Validity {
  /** Days from now (ignored when notAfter is given). */
  readonly days: number;
  /** Defaults to now minus a few minutes of clock skew. */
  readonly notBefore?: Date | undefined;
  readonly notAfter?: Date | undefined;
}

export interface CaOptions extends Validity {
  readonly keyType?: KeyType | undefined;
  /** Subject CN; defaults to "FerryMQ CA <date> <random>" so two CAs never share a name. */
  readonly commonName?: string | undefined;
}

export interface CertOptions extends Validity {
  /** Subject CN (the NAME given to `ferrymq tls issue`). */
  readonly commonName: string;
  /** true: clientAuth only; false: a server certificate (serverAuth and clientAuth). */
  readonly client: boolean;
  readonly sans: readonly SubjectAltName[];
  readonly keyType?: KeyType | undefined;
}

export async function createCa(options: CaOptions): Promise<PemPair> {
  const keyType = options.keyType ?? 'ec';
  const keys = await generateKeys(keyType);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ O: ['FerryMQ'] }, { CN: [options.commonName ?? defaultCaName()] }],
    ...validity(options),
    signingAlgorithm: signingAlgorithm(keyType),
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await privateKeyToPem(keys.privateKey) };
}

/**
 * A leaf certificate signed by `ca`, or, with `ca` = 'self', signed by its own key (a certificate
 * no FerryMQ CA vouches for: what an untrusted peer presents).
 */
export async function issueCertificate(ca: PemPair | 'self', options: CertOptions): Promise<PemPair> {
  const keyType = options.keyType ?? 'ec';
  const keys = await generateKeys(keyType);
  const subject = [{ CN: [options.commonName] }];
  const usage = x509.KeyUsageFlags.digitalSignature | (keyType === 'rsa' ? x509.KeyUsageFlags.keyEncipherment : 0);
  const purposes = options.client ? [x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    new x509.ExtendedKeyUsageExtension(purposes, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (options.sans.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(options.sans.map((s) => ({ type: s.type, value: s.value }))));
  }
  let cert: x509.X509Certificate;
  if (ca === 'self') {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: subject,
      ...validity(options),
      signingAlgorithm: signingAlgorithm(keyType),
      keys,
      extensions,
    });
  } else {
    const caCert = new x509.X509Certificate(ca.cert);
    const caKey = await privateKeyFromPem(ca.key);
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(caCert));
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject,
      issuer: caCert.subjectName,
      ...validity(options),
      signingAlgorithm: signingAlgorithm(caKey.type),
      publicKey: keys.publicKey,
      signingKey: caKey.key,
      extensions,
    });
  }
  return { cert: cert.toString('pem'), key: await privateKeyToPem(keys.privateKey) };
}

function validity(options: Validity): { notBefore: Date; notAfter: Date } {
  const notBefore = options.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfter = options.notAfter ?? new Date(Date.now() + options.days * DAY_MS);
  return { notBefore, notAfter };
}

function randomSerial(): string {
  const bytes = randomBytes(SERIAL_BYTES);
  // Positive and without a leading zero octet, so the DER INTEGER keeps all 16 bytes.
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function defaultCaName(): string {
  return `FerryMQ CA ${new Date().toISOString().slice(0, 10)} ${randomBytes(3).toString('hex')}`;
}
