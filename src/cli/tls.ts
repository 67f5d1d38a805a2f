/**
 * `ferrymq tls init` and `ferrymq tls issue NAME`: a private CA and the certificates it signs, in
 * a directory (default `certs`), then the `tls:` config line to paste. See docs/tls.md.
 */
import { join } from 'node:path';
import { isFerryError } from '../errors.js';
import { CA_CERT_FILE, initCa, issueToDir, type WrittenFile } from '../tls/files.js';
import { ExitCode } from './args.js';
import { DEFAULT_CERT_DIR, type TlsCommand } from './tls-args.js';

export async function runTls(command: TlsCommand): Promise<number> {
  try {
    if (command.action === 'init') {
      const ca = await initCa(command.dir, command);
      printWritten(ca.files);
      console.log(`\nCA ready (valid ${command.days} days). Keep ${ca.caKey} on this machine; copy ${ca.caCert} wherever certificates are checked.`);
      console.log(`Next: ferrymq tls issue NAME${command.dir === DEFAULT_CERT_DIR ? '' : ` --dir ${command.dir}`} for each broker (and --client for each client).`);
      return ExitCode.OK;
    }
    const issued = await issueToDir(command.dir, command.name, command);
    const caCert = join(command.dir, CA_CERT_FILE);
    printWritten(issued.files);
    const kind = command.client ? 'client' : 'server';
    const sans = issued.sans.map((s) => `${s.type === 'dns' ? 'DNS' : 'IP'}:${s.value}`).join(', ');
    console.log(`\n${kind} certificate CN=${command.name}${sans === '' ? '' : `, SAN ${sans}`}, valid until ${issued.notAfter.toISOString()}.`);
    console.log(`Copy ${issued.cert}, ${issued.key} and ${caCert} to ${command.name}, and add to its config:\n`);
    console.log(`tls: { cert: ${issued.cert}, key: ${issued.key}, ca: ${caCert} }`);
    return ExitCode.OK;
  } catch (e) {
    if (isFerryError(e)) {
      console.error(`ferrymq: ${e.message}`);
      return e.code === 'TLS_BAD_NAME' ? ExitCode.USAGE : ExitCode.FAILURE;
    }
    // The file system said no (permissions, read-only disk, a file where the directory should be).
    if (typeof (e as NodeJS.ErrnoException).code === 'string') {
      console.error(`ferrymq: ${(e as Error).message}`);
      return ExitCode.FAILURE;
    }
    throw e;
  }
}

function printWritten(files: readonly WrittenFile[]): void {
  for (const f of files) console.log(`wrote ${f.path} (mode ${f.mode.toString(8).padStart(4, '0')})`);
}
