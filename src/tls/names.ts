/**
 * Checks on what users type: certificate NAMEs (they become file names and the subject CN) and
 * SAN lists. Problems come back as text, for a usage error.
 */
import { isIP } from 'node:net';

/** `ca` would overwrite the CA's own files (ca.pem, ca.key). */
const RESERVED_NAMES = new Set(['ca']);
/** A file-name-safe NAME: no path separators, no leading dot or dash, at most 64 characters (the CN limit, RFC 5280 ub-common-name). */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** One DNS label (RFC 1123): letters, digits and inner hyphens, up to 63 characters. */
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
/** RFC 1035: a name is at most 253 characters written out. */
const MAX_DNS_NAME = 253;

/** undefined when NAME can name a certificate and its files, else why not. */
export function checkCertName(name: string): string | undefined {
  if (!NAME_PATTERN.test(name) || name.includes('..')) {
    return `invalid NAME "${name}": use letters, digits, ".", "_" and "-" (no path characters), at most 64`;
  }
  if (RESERVED_NAMES.has(name.toLowerCase())) return `invalid NAME "${name}": reserved for the CA's own files`;
  return undefined;
}

/** A DNS name for a SAN: labels separated by dots, the first may be the wildcard `*`. */
export function isDnsName(value: string): boolean {
  if (value.length === 0 || value.length > MAX_DNS_NAME) return false;
  const labels = value.split('.');
  return labels.every((label, i) => DNS_LABEL.test(label) || (i === 0 && label === '*' && labels.length > 2));
}

export interface SubjectAltName {
  readonly type: 'dns' | 'ip';
  readonly value: string;
}

/** `host,ip,...` as SAN entries (IPv4 and IPv6 become IP entries), or the first bad entry. */
export function parseSanList(list: string): SubjectAltName[] | string {
  const entries: SubjectAltName[] = [];
  for (const raw of list.split(',')) {
    const value = raw.trim();
    if (value === '') continue;
    const unbracketed = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
    if (isIP(unbracketed) !== 0) entries.push({ type: 'ip', value: unbracketed });
    else if (isDnsName(value)) entries.push({ type: 'dns', value: value.toLowerCase() });
    else return `invalid SAN entry "${value}": expected a host name or an IP address`;
  }
  if (entries.length === 0) return 'empty SAN list: give host names or IP addresses, comma-separated';
  return entries;
}

/** A server certificate's SANs when none are given: NAME when it is a host name, plus this machine's loopback names. */
export function defaultServerSans(name: string): SubjectAltName[] {
  const loopback: SubjectAltName[] = [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
    { type: 'ip', value: '::1' },
  ];
  const own = name.toLowerCase();
  return isDnsName(own) && own !== 'localhost' ? [{ type: 'dns', value: own }, ...loopback] : loopback;
}
