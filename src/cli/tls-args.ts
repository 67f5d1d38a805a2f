/**
 * Command-line options of `ferrymq tls init` and `ferrymq tls issue NAME`, parsed on their own
 * (args.ts hands over everything after `tls`): their options belong to no other command.
 * Problems come back as text for a usage error (exit 64).
 */
import { DEFAULT_CA_DAYS, DEFAULT_CERT_DAYS } from '../tls/files.js';
import { checkCertName, parseSanList, type SubjectAltName } from '../tls/names.js';
import type { KeyType } from '../tls/x509.js';
import { parseStrict } from './parse-options.js';

/** Where certificates go unless --dir says otherwise (the `tls:` config lines point here). */
export const DEFAULT_CERT_DIR = 'certs';
/** 100 years: a longer --days is a typo. */
const MAX_DAYS = 36_500;

export type TlsCommand =
  | { readonly action: 'init'; readonly dir: string; readonly days: number; readonly force: boolean; readonly keyType: KeyType }
  | {
      readonly action: 'issue';
      readonly name: string;
      readonly dir: string;
      readonly client: boolean;
      /** undefined: the defaults (servers: NAME, localhost, 127.0.0.1, ::1; clients: none). */
      readonly sans: readonly SubjectAltName[] | undefined;
      readonly days: number;
      readonly force: boolean;
      readonly keyType: KeyType;
    };

/** `argv` after `tls`: a command, 'help', or the usage problem as text. */
export function parseTlsCommand(argv: readonly string[]): TlsCommand | 'help' | string {
  const parsed = parseStrict(argv, {
    dir: { type: 'string' },
    days: { type: 'string' },
    force: { type: 'boolean' },
    rsa: { type: 'boolean' },
    client: { type: 'boolean' },
    san: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (typeof parsed === 'string') return parsed;
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [action, ...rest] = positionals;
  if (action !== 'init' && action !== 'issue') {
    return action === undefined ? 'tls needs init or issue' : `unknown tls command "${action}" (expected init or issue)`;
  }
  const dir = values.dir ?? DEFAULT_CERT_DIR;
  if (dir === '') return '--dir must not be empty';
  const days = parseDays(values.days, action === 'init' ? DEFAULT_CA_DAYS : DEFAULT_CERT_DAYS);
  if (typeof days === 'string') return days;
  const force = values.force === true;
  const keyType: KeyType = values.rsa === true ? 'rsa' : 'ec';
  if (action === 'init') {
    if (values.client !== undefined || values.san !== undefined) return `tls init does not take --${values.client !== undefined ? 'client' : 'san'}`;
    if (rest.length > 0) return `unexpected argument "${rest[0]}" for tls init`;
    return { action, dir, days, force, keyType };
  }
  const [name, extra] = rest;
  if (name === undefined) return 'tls issue needs a NAME (e.g. hub, spoke1, orders-app)';
  if (extra !== undefined) return `unexpected argument "${extra}" for tls issue (one NAME)`;
  const nameProblem = checkCertName(name);
  if (nameProblem !== undefined) return nameProblem;
  let sans: SubjectAltName[] | undefined;
  if (values.san !== undefined) {
    const list = parseSanList(values.san);
    if (typeof list === 'string') return list;
    sans = list;
  }
  return { action, name, dir, client: values.client === true, sans, days, force, keyType };
}

function parseDays(value: string | undefined, fallback: number): number | string {
  if (value === undefined) return fallback;
  const days = Number(value);
  if (!/^\d+$/.test(value) || days < 1 || days > MAX_DAYS) return `--days must be a whole number from 1 to ${MAX_DAYS}, not "${value}"`;
  return days;
}
