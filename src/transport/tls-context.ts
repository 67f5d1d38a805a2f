/**
 * The broker's TLS identity, read from the `tls` section's files: checked when the config is
 * loaded (so `ferrymq check-config` names the file and key that is wrong), turned into secure
 * context options for the listeners, and watched so renewed certificates apply to new connections
 * without a restart.
 */
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { TlsConfig } from '../config/types.js';

export interface TlsProblem {
  /** Config key path, e.g. `tls.key`. */
  readonly path: string;
  readonly problem: string;
}

/** Whether the section names an identity at all. */
export function tlsConfigured(tls: TlsConfig): boolean {
  return tls.pfx !== '' || tls.cert !== '' || tls.key !== '';
}

function readFile(key: string, file: string, problems: TlsProblem[]): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    problems.push({ path: `tls.${key}`, problem: `cannot read ${file} (${code})` });
    return undefined;
  }
}

/** Why a PEM certificate file is unusable now (expired, not yet valid, not a certificate), if it is. */
function certificateProblem(pem: Buffer, file: string, now: number): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return `${file} is not a PEM certificate`;
  }
  if (Date.parse(cert.validTo) < now) return `${file}: the certificate expired on ${cert.validTo}`;
  if (Date.parse(cert.validFrom) > now) return `${file}: the certificate is not valid before ${cert.validFrom}`;
  return undefined;
}

/**
 * Reads and checks the files; returns the secure context options, or the problems (each naming the
 * key and the file). The check builds a real secure context, so a key that does not match its
 * certificate, or a wrong passphrase, is found here and not at the first handshake.
 */
export function loadTlsOptions(tls: TlsConfig, now = Date.now()): SecureContextOptions | TlsProblem[] {
  const problems: TlsProblem[] = [];
  const opts: SecureContextOptions = { minVersion: tls.minVersion };
  if (tls.ciphers !== '') opts.ciphers = tls.ciphers;
  if (tls.passphrase !== '') opts.passphrase = tls.passphrase;
  if (tls.pfx !== '') {
    if (tls.cert !== '' || tls.key !== '') problems.push({ path: 'tls.pfx', problem: 'give either pfx or cert and key, not both' });
    const pfx = readFile('pfx', tls.pfx, problems);
    if (pfx) opts.pfx = pfx;
  } else {
    if (tls.cert === '') problems.push({ path: 'tls.cert', problem: 'missing: a TLS listener needs a certificate (ferrymq tls issue NAME makes one)' });
    if (tls.key === '') problems.push({ path: 'tls.key', problem: 'missing: a TLS listener needs the certificate\'s private key' });
    const cert = tls.cert === '' ? undefined : readFile('cert', tls.cert, problems);
    const key = tls.key === '' ? undefined : readFile('key', tls.key, problems);
    if (cert) {
      const bad = certificateProblem(cert, tls.cert, now);
      if (bad) problems.push({ path: 'tls.cert', problem: bad });
      opts.cert = cert;
    }
    if (key) opts.key = key;
  }
  if (tls.ca !== '') {
    const ca = readFile('ca', tls.ca, problems);
    if (ca) {
      const bad = certificateProblem(ca, tls.ca, now);
      if (bad) problems.push({ path: 'tls.ca', problem: bad });
      opts.ca = ca;
    }
  }
  if (problems.length > 0) return problems;
  try {
    createSecureContext(opts);
  } catch (err) {
    return [{ path: tls.pfx !== '' ? 'tls.pfx' : 'tls.key', problem: describeContextError(err as Error, tls) }];
  }
  return opts;
}

/** OpenSSL's words, said in terms of the config. */
function describeContextError(err: Error, tls: TlsConfig): string {
  const m = err.message;
  if (/key values mismatch/i.test(m)) return `${tls.key} is not the private key of ${tls.cert}`;
  if (/bad decrypt|mac verify failure|bad password|interrupted or cancelled/i.test(m)) {
    return `wrong passphrase for ${tls.pfx !== '' ? tls.pfx : tls.key} (tls.passphrase or FERRYMQ_TLS_PASSPHRASE)`;
  }
  if (/no start line|unsupported|bad base64/i.test(m)) return `${tls.pfx !== '' ? tls.pfx : tls.key} is not a usable PEM key (${m})`;
  return m;
}

/** Modification stamps of the files, to notice a renewal. */
export function tlsFilesStamp(tls: TlsConfig): string {
  return [tls.cert, tls.key, tls.ca, tls.pfx]
    .filter((f) => f !== '')
    .map((f) => {
      try {
        const s = statSync(f);
        return `${f}:${s.mtimeMs}:${s.size}`;
      } catch {
        return `${f}:missing`;
      }
    })
    .join('|');
}

/**
 * The live TLS identity of a running broker: the checked options, and a watch on the files that
 * swaps in renewed certificates (new connections use them; open ones keep theirs). A renewal that
 * does not check out is logged and the old identity stays.
 */
export class TlsIdentity {
  private stamp: string;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(opts: SecureContextOptions) => void>();

  private constructor(
    private readonly tls: TlsConfig,
    private current: SecureContextOptions,
    private readonly log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void },
  ) {
    this.stamp = tlsFilesStamp(tls);
  }

  /** Loads the files (the config check already vetted them) or throws with every problem. */
  static open(tls: TlsConfig, log: TlsIdentity['log']): TlsIdentity {
    const loaded = loadTlsOptions(tls);
    if (Array.isArray(loaded)) throw new Error(`TLS: ${loaded.map((p) => `${p.path}: ${p.problem}`).join('; ')}`);
    const id = new TlsIdentity(tls, loaded, log);
    if (tls.reloadInterval > 0) {
      id.timer = setInterval(() => id.check(), tls.reloadInterval);
      id.timer.unref();
    }
    return id;
  }

  get options(): SecureContextOptions {
    return this.current;
  }

  /** Called with the new options after each successful reload. */
  onReload(fn: (opts: SecureContextOptions) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Looks at the files now (the timer calls it; tests may too). */
  check(): void {
    const stamp = tlsFilesStamp(this.tls);
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    const loaded = loadTlsOptions(this.tls);
    if (Array.isArray(loaded)) {
      this.log.error({ problems: loaded }, 'TLS files changed but cannot be used; keeping the previous certificate');
      return;
    }
    this.current = loaded;
    for (const fn of this.listeners) fn(loaded);
    this.log.info({ cert: this.tls.cert || this.tls.pfx }, 'TLS certificate reloaded');
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.listeners.clear();
  }
}
