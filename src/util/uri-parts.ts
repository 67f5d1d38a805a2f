/**
 * Pieces of ActiveMQ-style URIs (`stomp://HOST:port?name=value`) shared by listener URIs and
 * client URIs, so both accept and reject exactly the same hosts and escapes with the same messages.
 */
import { isIP } from 'node:net';

/** RFC 1123 host name label: letters, digits and inner hyphens, at most 63 octets. */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/**
 * `[v6]` (brackets removed), an IPv4 address or a host name; `missing` is the message for an
 * empty host (listeners and clients suggest different fixes).
 */
export function parseHost(raw: string, missing: string): { value: string; error?: undefined } | { error: string } {
  if (raw === '') return { error: missing };
  if (raw.startsWith('[')) {
    const inner = raw.slice(1, -1);
    if (!raw.endsWith(']') || isIP(inner) !== 6) return { error: `"${raw}" is not an IPv6 address` };
    return { value: inner };
  }
  if (isIP(raw) === 4) return { value: raw };
  if (!HOST_NAME.test(raw)) return { error: `"${raw}" is not a valid host name or address` };
  if (/^[\d.]+$/.test(raw)) return { error: `"${raw}" is not a valid IPv4 address` };
  return { value: raw };
}

/** An unbracketed IPv6 authority (more than one ':'), with the fix spelled out; undefined when fine. */
export function unbracketedIpv6(authority: string, examplePort: number): string | undefined {
  if (authority.startsWith('[') || authority.split(':').length <= 2) return undefined;
  return `IPv6 addresses go in brackets: "${authority}" should be written [host]:port, e.g. [::1]:${examplePort}`;
}

/** A %-escaped URI component, or undefined for a malformed escape (decodeURIComponent throws). */
export function decodeComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
