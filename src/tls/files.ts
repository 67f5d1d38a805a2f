/**
 * The certificate directory: `ca.pem` + `ca.key` from `init`, `NAME.pem` + `NAME.key` per `issue`.
 * Keys are written 0600. Existing files are never overwritten unless `force` is given, and every
 * target is checked before the first byte is written, so a refusal leaves the directory unchanged.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../errors.js';
import { createCa, issueCertificate, type CertOptions, type PemPair } from './certificates.js';
import { checkCertName, defaultServerSans, type SubjectAltName } from './names.js';
import type { KeyType } from './x509.js';

/** Owner read/write only: a private key. */
const KEY_MODE = 0o600;
/** Certificates are public. */
const CERT_MODE = 0o644;
/** `init`: a CA outlives the certificates it signs (10 years). */
export const DEFAULT_CA_DAYS = 3650;
/** `issue`: 825 days, the longest validity Apple platforms accept for a TLS server certificate. */
export const DEFAULT_CERT_DAYS = 825;

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca.key';

/** A file written, for the CLI to report. */
export interface WrittenFile {
  readonly path: string;
  readonly mode: number;
}

export interface InitOptions {
  readonly days?: number | undefined;
  readonly force?: boolean | undefined;
  readonly keyType?: KeyType | undefined;
}

export interface InitResult {
  readonly caCert: string;
  readonly caKey: string;
  readonly files: readonly WrittenFile[];
}

export interface IssueOptions {
  readonly client?: boolean | undefined;
  /** Replaces the default SANs (see defaultServerSans; client certificates have none by default). */
  readonly sans?: readonly SubjectAltName[] | undefined;
  readonly days?: number | undefined;
  readonly notBefore?: Date | undefined;
  readonly notAfter?: Date | undefined;
  readonly force?: boolean | undefined;
  readonly keyType?: KeyType | undefined;
  /** 'self': not signed by the directory's CA (an untrusted peer, for tests). Default 'ca'. */
  readonly signedBy?: 'ca' | 'self' | undefined;
}

export interface IssueResult {
  readonly cert: string;
  readonly key: string;
  readonly sans: readonly SubjectAltName[];
  readonly notAfter: Date;
  readonly files: readonly WrittenFile[];
}

/** Create the CA in `dir` (made if missing). Throws TLS_FILE_EXISTS when ca.pem or ca.key exists and not `force`. */
export async function initCa(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const caCert = join(dir, CA_CERT_FILE);
  const caKey = join(dir, CA_KEY_FILE);
  await refuseExisting([caCert, caKey], options.force === true);
  const pair = await createCa({ days: options.days ?? DEFAULT_CA_DAYS, keyType: options.keyType });
  const files = await writePair(dir, caCert, caKey, pair);
  return { caCert, caKey, files };
}

/**
 * Issue NAME's certificate from the CA in `dir`. Throws TLS_BAD_NAME for a NAME with path
 * characters, TLS_NO_CA when `dir` has no CA, TLS_FILE_EXISTS when NAME's files exist and not `force`.
 */
export async function issueToDir(dir: string, name: string, options: IssueOptions = {}): Promise<IssueResult> {
  const nameProblem = checkCertName(name);
  if (nameProblem !== undefined) throw new FerryError('TLS_BAD_NAME', nameProblem);
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const client = options.client === true;
  const sans = options.sans ?? (client ? [] : defaultServerSans(name));
  const signedBy = options.signedBy ?? 'ca';
  const ca = signedBy === 'ca' ? await readCa(dir) : 'self';
  await refuseExisting([cert, key], options.force === true);
  const certOptions: CertOptions = {
    commonName: name,
    client,
    sans,
    days: options.days ?? DEFAULT_CERT_DAYS,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    keyType: options.keyType,
  };
  const pair = await issueCertificate(ca, certOptions);
  const files = await writePair(dir, cert, key, pair);
  const notAfter = new Date(new X509Certificate(pair.cert).validTo);
  return { cert, key, sans, notAfter, files };
}

/** The CA in `dir`, or TLS_NO_CA. */
export async function readCa(dir: string): Promise<PemPair> {
  try {
    const [cert, key] = await Promise.all([readFile(join(dir, CA_CERT_FILE), 'utf8'), readFile(join(dir, CA_KEY_FILE), 'utf8')]);
    return { cert, key };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FerryError('TLS_NO_CA', `no CA in ${dir} (${CA_CERT_FILE} and ${CA_KEY_FILE}): run ferrymq tls init first`, { cause: e });
    }
    throw e;
  }
}

async function refuseExisting(paths: readonly string[], force: boolean): Promise<void> {
  if (force) return;
  for (const path of paths) {
    if (await exists(path)) throw new FerryError('TLS_FILE_EXISTS', `${path} already exists (give --force to replace it)`);
  }
}

/** The key first, then the certificate; each replaced file is removed first so its new mode applies. */
async function writePair(dir: string, certPath: string, keyPath: string, pair: PemPair): Promise<WrittenFile[]> {
  await mkdir(dir, { recursive: true });
  await writeNew(keyPath, pair.key, KEY_MODE);
  await writeNew(certPath, pair.cert, CERT_MODE);
  return [
    { path: certPath, mode: CERT_MODE },
    { path: keyPath, mode: KEY_MODE },
  ];
}

async function writeNew(path: string, text: string, mode: number): Promise<void> {
  await rm(path, { force: true });
  // 'wx': never follow into a file that appeared meanwhile; chmod because the umask may strip bits.
  await writeFile(path, text, { mode, flag: 'wx' });
  await chmod(path, mode);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
