/**
 * Reads a YAML config into a plain value plus an index from key path (`listeners[1].uri`) to the
 * line and column it was written at, so validation problems can name `<file>:<line>:<col>`.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface ParsedYaml {
  /** The document as plain JS (maps -> objects, seqs -> arrays); undefined for an empty file. */
  readonly value: unknown;
  /** Key path -> where it was written: the key of a mapping entry, the start of a list item. */
  readonly positions: ReadonlyMap<string, Position>;
  /** YAML syntax problems as `line:col: message` (no file name); empty when the file parsed. */
  readonly syntaxErrors: readonly string[];
}

export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  // uniqueKeys: a key written twice is an error, not a silent "last one wins".
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const syntaxErrors = doc.errors.map((e) => {
      const at = lineCounter.linePos(e.pos[0]);
      return `${at.line}:${at.col}: ${firstLine(e.message)}`;
    });
    return { value: undefined, positions: new Map(), syntaxErrors };
  }
  const positions = new Map<string, Position>();
  const root = doc.contents;
  positions.set('', root?.range ? lineCounter.linePos(root.range[0]) : { line: 1, col: 1 });
  if (root) indexNode(root, '', positions, lineCounter);
  return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, positions, syntaxErrors: [] };
}

function indexNode(node: unknown, path: string, positions: Map<string, Position>, lc: LineCounter): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const childPath = path ? `${path}.${key}` : key;
      const start = keyNode?.range?.[0] ?? (pair.value as Node | null)?.range?.[0];
      if (start !== undefined) positions.set(childPath, lc.linePos(start));
      indexNode(pair.value, childPath, positions, lc);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const childPath = `${path}[${i}]`;
      const start = (item as Node | null)?.range?.[0];
      if (start !== undefined) positions.set(childPath, lc.linePos(start));
      indexNode(item, childPath, positions, lc);
    });
  }
}

/** Where a path was written, falling back to its nearest written ancestor (a missing key). */
export function locate(positions: ReadonlyMap<string, Position>, path: string): Position | undefined {
  let current = path;
  for (;;) {
    const found = positions.get(current);
    if (found) return found;
    if (current === '') return undefined;
    const cut = Math.max(current.lastIndexOf('.'), current.lastIndexOf('['));
    current = cut < 0 ? '' : current.slice(0, cut);
  }
}

function firstLine(message: string): string {
  // yaml appends " at line N, column M:" and a source excerpt; we print our own position.
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}
