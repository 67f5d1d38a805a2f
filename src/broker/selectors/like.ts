/**
 * LIKE pattern matching (JMS 1.1 §3.8.1.1): `_` stands for one character, `%` for any sequence,
 * everything else is literal. An ESCAPE character makes the following `%`, `_` or escape
 * character literal; elsewhere it is itself literal (ActiveMQ's lenient reading).
 *
 * The matcher is the two-pointer wildcard algorithm, not a RegExp: it allocates nothing per call
 * and runs in O(pattern x subject) worst case, so a hostile `%a%a%a...` selector cannot make the
 * dispatch loop backtrack exponentially. `_` matches one code point (a surrogate pair counts once).
 */

const ANY_SEQUENCE = -1;
const ANY_CHARACTER = -2;

export type LikeMatcher = (subject: string) => boolean;

/** Pattern elements: UTF-16 code units for literals, or the two wildcard markers. */
export function compileLikePattern(pattern: string, escape: string | undefined): readonly number[] {
  const elements: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    const next = pattern[i + 1];
    if (c === escape && next !== undefined && (next === '%' || next === '_' || next === escape)) {
      elements.push(next.charCodeAt(0));
      i++;
    } else if (c === '%') {
      if (elements[elements.length - 1] !== ANY_SEQUENCE) elements.push(ANY_SEQUENCE);
    } else if (c === '_') {
      elements.push(ANY_CHARACTER);
    } else {
      elements.push(c.charCodeAt(0));
    }
  }
  return elements;
}

export function likeMatcher(pattern: string, escape: string | undefined): LikeMatcher {
  const elements = compileLikePattern(pattern, escape);
  if (elements.every((e) => e >= 0)) {
    const literal = String.fromCharCode(...elements);
    return (subject) => subject === literal;
  }
  return (subject) => wildcardMatch(elements, subject);
}

/** 2 when a surrogate pair starts at i, else 1. */
function charWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

export function wildcardMatch(elements: readonly number[], subject: string): boolean {
  let si = 0;
  let pi = 0;
  let star = -1; // element index of the last % seen
  let resume = 0; // subject index that % currently stretches to
  while (si < subject.length) {
    const e = pi < elements.length ? (elements[pi] as number) : undefined;
    if (e === ANY_CHARACTER) {
      si += charWidth(subject, si);
      pi++;
    } else if (e !== undefined && e >= 0 && e === subject.charCodeAt(si)) {
      si++;
      pi++;
    } else if (e === ANY_SEQUENCE) {
      star = pi++;
      resume = si;
    } else if (star >= 0) {
      // Let the last % swallow one more character and retry what follows it.
      resume += charWidth(subject, resume);
      si = resume;
      pi = star + 1;
    } else {
      return false;
    }
  }
  while (pi < elements.length && elements[pi] === ANY_SEQUENCE) pi++;
  return pi === elements.length;
}
