/**
 * STOMP header value encoding (STOMP 1.2 "Value Encoding", STOMP 1.1 "Value Encoding").
 * 1.1 defines \n (LF), \c (':') and \\ ('\'); 1.2 adds \r (CR). Any other escape is a fatal
 * protocol error. 1.0, CONNECT and CONNECTED frames carry raw octets.
 */
import { ESCAPE_NONE, ESCAPE_V12, type HeaderEscaping } from './frame.js';

const BACKSLASH = 0x5c;
const LOWER_N = 0x6e;
const LOWER_C = 0x63;
const LOWER_R = 0x72;

/**
 * Undo escaping in one header name or value. Returns undefined for an undefined escape sequence
 * (including a trailing lone backslash), which the caller treats as a malformed frame.
 * Only call it when escaping is in force (mode is not ESCAPE_NONE).
 */
export function unescapeHeader(text: string, mode: HeaderEscaping): string | undefined {
  let at = text.indexOf('\\');
  if (at < 0) return text;
  let out = '';
  let from = 0;
  while (at >= 0) {
    const next = text.charCodeAt(at + 1);
    let replacement: string;
    if (next === LOWER_N) replacement = '\n';
    else if (next === LOWER_C) replacement = ':';
    else if (next === BACKSLASH) replacement = '\\';
    else if (next === LOWER_R && mode === ESCAPE_V12) replacement = '\r';
    else return undefined;
    out += text.slice(from, at) + replacement;
    from = at + 2;
    at = text.indexOf('\\', from);
  }
  return out + text.slice(from);
}

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', ':': '\\c', '\r': '\\r' };
const NEEDS_ESCAPE_V12 = /[\\\r\n:]/;
const NEEDS_ESCAPE_V11 = /[\\\n:]/;
const ESCAPE_ALL_V12 = /[\\\r\n:]/g;
const ESCAPE_ALL_V11 = /[\\\n:]/g;
const LINE_BREAK = /[\r\n]/;
const LINE_BREAK_ALL = /[\r\n]/g;

function escapeChar(ch: string): string {
  return ESCAPES[ch] ?? ch;
}

/**
 * Escape one header name or value for the wire.
 * With no escaping in force (1.0, CONNECT, CONNECTED) a CR or LF cannot be represented and would
 * let a header value inject extra headers or frames (a message relayed from a 1.2 producer to a
 * 1.0 consumer), so each becomes a space. In 1.1 a CR is sent raw: 1.1 has no escape for it.
 */
export function escapeHeader(text: string, mode: HeaderEscaping): string {
  if (mode === ESCAPE_NONE) return LINE_BREAK.test(text) ? text.replace(LINE_BREAK_ALL, ' ') : text;
  if (mode === ESCAPE_V12) return NEEDS_ESCAPE_V12.test(text) ? text.replace(ESCAPE_ALL_V12, escapeChar) : text;
  return NEEDS_ESCAPE_V11.test(text) ? text.replace(ESCAPE_ALL_V11, escapeChar) : text;
}
