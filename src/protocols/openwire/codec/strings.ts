/**
 * The string forms ActiveMQ writes.
 *
 * - Java's modified UTF-8 (DataOutput.writeUTF): UTF-16 code units one by one; U+0001..U+007F take
 *   one byte, U+0000 and U+0080..U+07FF two, everything else (lone surrogate halves included)
 *   three. Used by loose strings, tight non-ASCII strings and WireFormatInfo property keys.
 * - Tight "ASCII" strings: a short length then one byte per char, read back by Java's deprecated
 *   String(byte[], hibyte=0) constructor, which is exactly latin1.
 */

const ONE_BYTE_MAX = 0x7f;
const TWO_BYTE_MAX = 0x7ff;

/** Bytes `s` takes in modified UTF-8. It equals s.length exactly when every char is U+0001..U+007F (tight's ASCII case). */
export function modifiedUtf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c !== 0 && c <= ONE_BYTE_MAX ? 1 : c <= TWO_BYTE_MAX ? 2 : 3;
  }
  return n;
}

/**
 * The hot-path string write (fast-tight.ts, fast-loose.ts): copies `s` to `pos` (room for
 * s.length bytes already ensured) while checking that every char is U+0001..U+007F, so the common
 * case costs one loop instead of modifiedUtf8Length's plus a second one. Returns false at the first
 * other char (what was written is then garbage; the caller writes the string the long way).
 */
export function writeAscii(buf: Buffer, pos: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > ONE_BYTE_MAX) return false;
    buf[pos + i] = c;
  }
  return true;
}

/** Writes `s` in modified UTF-8 at `pos` (room already ensured); returns the position after it. */
export function writeModifiedUtf8(buf: Buffer, pos: number, s: string, byteLength: number): number {
  if (byteLength === s.length) return pos + buf.write(s, pos, byteLength, 'latin1');
  let p = pos;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0 && c <= ONE_BYTE_MAX) {
      buf[p++] = c;
    } else if (c <= TWO_BYTE_MAX) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
    } else {
      buf[p++] = 0xe0 | (c >> 12);
      buf[p++] = 0x80 | ((c >> 6) & 0x3f);
      buf[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p;
}

/** Chars decoded per String.fromCharCode call: keeps the argument list well under engine limits. */
const DECODE_CHUNK = 4096;

/**
 * Decodes modified UTF-8 from buf[start, end), or returns undefined where DataInput.readUTF would
 * throw UTFDataFormatException (a bad lead byte, a missing or bad continuation byte).
 */
export function readModifiedUtf8(buf: Buffer, start: number, end: number): string | undefined {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if ((buf[i] as number) > ONE_BYTE_MAX) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1', start, end);
  const units: number[] = [];
  let out = '';
  let i = start;
  while (i < end) {
    const a = buf[i++] as number;
    if (a <= ONE_BYTE_MAX) {
      units.push(a);
    } else if ((a & 0xe0) === 0xc0) {
      if (i >= end) return undefined;
      const b = buf[i++] as number;
      if ((b & 0xc0) !== 0x80) return undefined;
      units.push(((a & 0x1f) << 6) | (b & 0x3f));
    } else if ((a & 0xf0) === 0xe0) {
      if (i + 1 >= end) return undefined;
      const b = buf[i++] as number;
      const c = buf[i++] as number;
      if ((b & 0xc0) !== 0x80 || (c & 0xc0) !== 0x80) return undefined;
      units.push(((a & 0x0f) << 12) | ((b & 0x3f) << 6) | (c & 0x3f));
    } else {
      return undefined;
    }
    if (units.length === DECODE_CHUNK) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}
