/**
 * A throw-away PKI for tests: a CA in `dir` and certificates issued on demand, built with the same
 * src/tls functions as `ferrymq tls init` / `issue`. Paths are of PEM files.
 *
 *   const pki = await makeTestPki(await mkdtemp(join(tmpdir(), 'pki-')));
 *   const hub = await pki.issue('hub');                        // server: SAN localhost, 127.0.0.1, ::1
 *   const spoke = await pki.issue('spoke', { client: true });
 *   const stranger = await pki.issue('stranger', { signedBy: 'self' });   // not trusted by the CA
 *   const old = await pki.issue('old', { notAfter: new Date(Date.now() - 60_000) }); // expired
 */
import { initCa, issueToDir } from '../../src/tls/files.js';
import { parseSanList } from '../../src/tls/names.js';

export interface TestPkiIssueOptions {
  /** A client certificate (clientAuth only); default a server certificate (serverAuth + clientAuth). */
  client?: boolean;
  /** Host names and IP addresses; default for servers: localhost, 127.0.0.1, ::1 (and NAME). */
  san?: string[];
  days?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** 'self': signed by its own key, so the CA does not vouch for it. Default 'ca'. */
  signedBy?: 'ca' | 'self';
}

export interface TestPki {
  dir: string;
  /** Path of the CA certificate (ca.pem): the `ca` a peer trusts. */
  caCert: string;
  caKey: string;
  /** Issue NAME.pem and NAME.key in dir (replacing earlier ones of that NAME). */
  issue(name: string, opts?: TestPkiIssueOptions): Promise<{ cert: string; key: string }>;
}

export async function makeTestPki(dir: string): Promise<TestPki> {
  const ca = await initCa(dir, { force: true });
  return {
    dir,
    caCert: ca.caCert,
    caKey: ca.caKey,
    async issue(name, opts = {}) {
      let sans;
      if (opts.san !== undefined) {
        sans = parseSanList(opts.san.join(','));
        if (typeof sans === 'string') throw new Error(sans);
      }
      const issued = await issueToDir(dir, name, {
        client: opts.client,
        sans,
        days: opts.days,
        notBefore: opts.notBefore,
        notAfter: opts.notAfter,
        signedBy: opts.signedBy,
        force: true,
      });
      return { cert: issued.cert, key: issued.key };
    },
  };
}
