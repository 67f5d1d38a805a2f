/**
 * The one place that loads @peculiar/x509 and plugs Node's WebCrypto into it. The library's
 * dependency injection (tsyringe) needs a Reflect metadata polyfill loaded before it: ESM evaluates
 * imports in order, so `reflect-metadata` comes first. Everything else in src/tls imports from here.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

/** Key algorithms the tooling generates. */
export type KeyType = 'ec' | 'rsa';

/** EC P-256: small, fast, accepted by every TLS stack a broker meets (Node, Java 8+, OpenSSL). */
const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** RSA 2048 with e = 65537, for peers that cannot do ECDSA. */
const RSA_KEY = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;

/** The WebCrypto algorithm that signs with a key of this type. */
export function signingAlgorithm(type: KeyType): EcdsaParams | RsaHashedImportParams {
  return type === 'ec' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: RSA_KEY.name, hash: 'SHA-256' };
}

export async function generateKeys(type: KeyType): Promise<CryptoKeyPair> {
  const algorithm = type === 'ec' ? EC_KEY : RSA_KEY;
  return webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

/** A private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form node:tls and Java's PEM loaders read. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A PKCS#8 (or SEC1/PKCS#1) PEM private key as a WebCrypto signing key, with its type. */
export async function privateKeyFromPem(pem: string): Promise<{ key: CryptoKey; type: KeyType }> {
  const keyObject = createPrivateKey(pem);
  const type: KeyType = keyObject.asymmetricKeyType === 'rsa' ? 'rsa' : 'ec';
  if (keyObject.asymmetricKeyType !== 'rsa' && keyObject.asymmetricKeyType !== 'ec') {
    throw new Error(`unsupported key type ${String(keyObject.asymmetricKeyType)} (expected EC or RSA)`);
  }
  const der = keyObject.export({ format: 'der', type: 'pkcs8' });
  const importAlgorithm = type === 'ec' ? EC_KEY : { name: RSA_KEY.name, hash: 'SHA-256' };
  const key = await webcrypto.subtle.importKey('pkcs8', der, importAlgorithm, false, ['sign']);
  return { key, type };
}
