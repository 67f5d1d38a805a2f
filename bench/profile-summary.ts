/**
 * Top functions by self time from a V8 .cpuprofile (what `node --cpu-prof` writes), so a bench
 * run with `--profile DIR` says where the broker spends its CPU without opening DevTools.
 *
 * Also a CLI: `node dist/bench/profile-summary.js FILE.cpuprofile [TOP]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
}

export interface HotFunction {
  readonly name: string;
  /** file:line, relative to the working directory when inside it. */
  readonly where: string;
  /** Share of all samples, percent. */
  readonly selfPercent: number;
}

/** Functions that are not JavaScript work: idle time and GC are reported under these names. */
const PSEUDO_FUNCTIONS = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

export function topFunctions(profilePath: string, top: number): HotFunction[] {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const byNode = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byNode.set(n.id, n);
  const hits = new Map<number, number>();
  if (profile.samples !== undefined) {
    for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  } else {
    for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  }
  let busy = 0;
  const totals = new Map<string, { name: string; where: string; count: number }>();
  for (const [id, count] of hits) {
    const node = byNode.get(id);
    if (node === undefined) continue;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') continue; // idle is not work: shares are of busy time
    busy += count;
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const file = frame.url.startsWith('file://') ? relative(process.cwd(), new URL(frame.url).pathname) : frame.url;
    const where = PSEUDO_FUNCTIONS.has(name) || file === '' ? '' : `${file}:${frame.lineNumber + 1}`;
    const key = `${name}@${where}`;
    const entry = totals.get(key) ?? { name, where, count: 0 };
    entry.count += count;
    totals.set(key, entry);
  }
  return [...totals.values()]
    .sort((a, b) => b.count - a.count)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfPercent: busy === 0 ? 0 : (e.count / busy) * 100 }));
}

/** The newest .cpuprofile in `dir`, or undefined. */
export function newestProfile(dir: string): string | undefined {
  let best: { path: string; mtime: number } | undefined;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.cpuprofile')) continue;
    const path = join(dir, f);
    const mtime = statSync(path).mtimeMs;
    if (best === undefined || mtime > best.mtime) best = { path, mtime };
  }
  return best?.path;
}

export function formatTopFunctions(fns: readonly HotFunction[]): string {
  return fns.map((f) => `${f.selfPercent.toFixed(1).padStart(5)}%  ${f.name}${f.where === '' ? '' : `  ${f.where}`}`).join('\n');
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: node dist/bench/profile-summary.js FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  console.log(formatTopFunctions(topFunctions(file, Number(process.argv[3] ?? 25))));
}
