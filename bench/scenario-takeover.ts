/**
 * The `takeover` scenario (opt-in: `--scenario takeover`): how long a master/slave pair is
 * without a master when the master process dies. Like `backlog` it owns its brokers (real
 * `ferrymq start` processes, or ActiveMQ JVMs; see ha-nodes.ts), so run.ts calls it on its own.
 *
 * Per target: start node 1 (master) and node 2 (standby) on one store, a light persistent load
 * on the master (takeover-probes.ts), then rounds of:
 *
 * 1. LOAD_BEFORE_DEATH_MS of load plus a phase step, then signal the master: SIGKILL (the death can be seen: the
 *    process and its file lock or database session are gone) or SIGSTOP (it cannot: the process
 *    still exists and holds its connections, as a hung host would).
 * 2. From the signal: ms until the standby's STOMP port accepts a TCP connection (polled every
 *    PROBE_INTERVAL_MS), and ms until a persistent SEND on a new connection to it has its RECEIPT.
 *    Both give up at the cap (a paused ActiveMQ master keeps its lock for good).
 * 3. SIGKILL the old master if it is paused, move the load to the new master, start a fresh node
 *    as the new standby: the next round kills the other process, so the roles alternate. A new
 *    master that steps down again (FerryMQ: lost its lease) is counted, and the load waits until
 *    a master serves again.
 */
import { DEFAULT_HA_LEASE, DEFAULT_HA_RETRY_INTERVAL } from '../src/config/defaults.js';
import { isActiveMqTarget, type TargetName } from './targets.js';
import { startHaPair, type HaNode, type HaPair } from './ha-nodes.js';
import { now } from './measure.js';
import { LightLoad, PROBE_INTERVAL_MS, untilAccepting, untilFirstReceipt } from './takeover-probes.js';

export const TAKEOVER_NAME = 'takeover';
/** The brief's repeat count for a visible death. */
export const TAKEOVER_DEFAULT_KILLS = 5;
/** A paused master costs a lease (FerryMQ) or the cap (ActiveMQ) per round: fewer rounds. */
export const TAKEOVER_DEFAULT_PAUSES = 2;
/** The master is under load for at least this long before it is signalled (and the new standby settles). */
const LOAD_BEFORE_DEATH_MS = 2_000;
/**
 * A standby that polls finds the death at its next poll, so the takeover time depends on where
 * in the poll interval the death falls; a fixed schedule would always hit the same point. Round
 * i of n of a kind waits i/n of this much longer: the longest poll among the pairs (ActiveMQ's
 * lockAcquireSleepInterval, 10 s), so the deaths spread over every pair's whole poll interval.
 */
const PHASE_SPREAD_MS = 10_000;
/** Far above any takeover seen after a kill (ActiveMQ's 10 s lock poll plus its start-up). */
const KILL_CAP_MS = 60_000;
/** Six FerryMQ leases: a pair that has not taken over by then will not (ActiveMQ keeps its lock). */
const PAUSE_CAP_MS = 30_000;
/** After a round, the load waits this long for a master that serves (one that stepped down takes a lease to come back). */
const RESUME_TIMEOUT_MS = 30_000;
/** How often the load retries its connection meanwhile. */
const RESUME_RETRY_MS = 100;
/** The issue's goal: a visible death is taken over within 1.5 s (port accepting). */
export const TAKEOVER_GOAL_MS = 1_500;
/**
 * What "about the lease" means for a paused master: the default lease, one standby poll, and
 * half a second to open the store and listen.
 */
export const PAUSE_EXPECTED_MS = DEFAULT_HA_LEASE + DEFAULT_HA_RETRY_INTERVAL + 500;

export type Death = 'SIGKILL' | 'SIGSTOP';

export interface TakeoverSample {
  readonly death: Death;
  /** The node that was master. */
  readonly victim: string;
  /** ms from the signal until the standby accepted a TCP connection; undefined: not within the cap. */
  readonly acceptMs: number | undefined;
  /** ms from the signal until the first RECEIPT from the new master; undefined: not within the cap. */
  readonly receiptMs: number | undefined;
  /** Persistent messages the light load had receipted on the victim. */
  readonly loadReceipted: number;
  /** The new master gave up being master again within the round (FerryMQ: "stepping down"). */
  readonly steppedDown: boolean;
}

export interface TakeoverRun {
  readonly target: TargetName;
  readonly label: string;
  readonly samples: readonly TakeoverSample[];
  /** The cap per death, for "none within" in the report. */
  readonly capMs: Readonly<Record<Death, number>>;
  readonly error?: string | undefined;
}

export interface TakeoverOptions {
  readonly target: TargetName;
  readonly kills: number;
  readonly pauses: number;
  readonly log: (line: string) => void;
}

interface PairState {
  master: HaNode;
  standby: HaNode;
  load: LightLoad;
  nodes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function round(pair: HaPair, s: PairState, death: Death, phase: number): Promise<TakeoverSample> {
  await sleep(LOAD_BEFORE_DEATH_MS + phase * PHASE_SPREAD_MS);
  const victim = s.master;
  const heir = s.standby;
  const stepDownsBefore = heir.stepDowns();
  const loadReceipted = s.load.receipted;
  const cap = death === 'SIGKILL' ? KILL_CAP_MS : PAUSE_CAP_MS;
  const t0 = now();
  victim.signal(death);
  const acceptMs = await untilAccepting(s.standby.port, t0, t0 + cap);
  const receiptMs = acceptMs === undefined ? undefined : await untilFirstReceipt(s.standby.port, t0, t0 + cap);
  s.load.destroy();
  await victim.kill();
  // A paused ActiveMQ master never let go: its death just now is what hands over the lock.
  if (acceptMs === undefined) await s.standby.master();
  s.master = heir;
  s.load = await resumeLoad(heir);
  s.standby = await pair.startNode(`node${++s.nodes}`);
  await s.standby.standby();
  return { death, victim: victim.name, acceptMs, receiptMs, loadReceipted, steppedDown: heir.stepDowns() > stepDownsBefore };
}

function phases(death: Death, n: number): Array<[Death, number]> {
  return Array.from({ length: n }, (_, i): [Death, number] => [death, i / n]);
}

/** The light load on the new master, retried while it is not (or no longer, after a step-down) serving. */
async function resumeLoad(master: HaNode): Promise<LightLoad> {
  const deadline = now() + RESUME_TIMEOUT_MS;
  for (;;) {
    try {
      return await LightLoad.start(master.port);
    } catch (err) {
      if (now() > deadline) throw new Error(`the new master ${master.name} did not serve the load within ${RESUME_TIMEOUT_MS / 1000} s: ${(err as Error).message}`);
      await sleep(RESUME_RETRY_MS);
    }
  }
}

export async function runTakeover(opts: TakeoverOptions): Promise<TakeoverRun> {
  const capMs = { SIGKILL: KILL_CAP_MS, SIGSTOP: PAUSE_CAP_MS };
  const samples: TakeoverSample[] = [];
  let pair: HaPair | undefined;
  let state: PairState | undefined;
  try {
    pair = await startHaPair(opts.target);
    opts.log(`[${opts.target}] ${TAKEOVER_NAME}: ${pair.label}`);
    const first = await pair.startNode('node1');
    await first.master();
    const second = await pair.startNode('node2');
    await second.standby();
    state = { master: first, standby: second, load: await LightLoad.start(first.port), nodes: 2 };
    // Each kind of death at evenly spread phases (0, 1/n, 2/n, ... of PHASE_SPREAD_MS).
    const deaths = [...phases('SIGKILL', opts.kills), ...phases('SIGSTOP', opts.pauses)];
    for (const [death, phase] of deaths) {
      const sample = await round(pair, state, death, phase);
      samples.push(sample);
      opts.log(`[${opts.target}] ${formatSample(sample, capMs[death])}`);
    }
    return { target: opts.target, label: pair.label, samples, capMs };
  } catch (err) {
    // The nodes' own words say what went wrong (a step-down, a store error): keep their last lines.
    const context = state === undefined ? '' : [state.master, state.standby].map((n) => `\n--- ${n.name} (port ${n.port}):\n${lastLines(n.output())}`).join('');
    return { target: opts.target, label: pair?.label ?? opts.target, samples, capMs, error: `${(err as Error).message}${context}` };
  } finally {
    state?.load.destroy();
    await pair?.destroy();
  }
}

/** Node output kept in an error. */
const ERROR_CONTEXT_LINES = 30;

function lastLines(text: string): string {
  return text.trimEnd().split('\n').slice(-ERROR_CONTEXT_LINES).join('\n');
}

// --- report -------------------------------------------------------------------------------------

const msText = (v: number | undefined, capMs: number): string => (v === undefined ? `none within ${capMs / 1000} s` : `${Math.round(v)} ms`);

function formatSample(s: TakeoverSample, capMs: number): string {
  const down = s.steppedDown ? '; the new master then STEPPED DOWN' : '';
  return `${s.death} ${s.victim} (${s.loadReceipted} receipted on it): accepting after ${msText(s.acceptMs, capMs)}, first RECEIPT after ${msText(s.receiptMs, capMs)}${down}`;
}

export interface Spread {
  readonly runs: number;
  /** Runs that took over within the cap; min/median/max are over these. */
  readonly within: number;
  readonly min: number | undefined;
  readonly median: number | undefined;
  readonly max: number | undefined;
}

export function spread(values: ReadonlyArray<number | undefined>): Spread {
  const v = values.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const median = v.length === 0 ? undefined : v.length % 2 === 1 ? v[mid] : ((v[mid - 1] ?? 0) + (v[mid] ?? 0)) / 2;
  return { runs: values.length, within: v.length, min: v[0], median, max: v[v.length - 1] };
}

function spreadText(s: Spread, capMs: number): string {
  if (s.within === 0) return `none within ${capMs / 1000} s`;
  const r = (x: number | undefined): string => (x === undefined ? '—' : String(Math.round(x)));
  const missing = s.within < s.runs ? ` (${s.runs - s.within} of ${s.runs}: none within ${capMs / 1000} s)` : '';
  return `${r(s.min)} / ${r(s.median)} / ${r(s.max)}${missing}`;
}

/** A Markdown table over every target's runs, one row per target and kind of death. */
export function formatTakeover(runs: readonly TakeoverRun[]): string {
  const lines = [
    `takeover: ms from the signal to the master until the standby accepts (TCP, polled every ${PROBE_INTERVAL_MS} ms) and until its first RECEIPT`,
    ...runs.map((r) => `  ${r.target}: ${r.label}${r.error === undefined ? '' : `\n    FAILED: ${r.error}`}`),
    '',
    '| target | death | runs | accepting, ms: min / median / max | first RECEIPT, ms: min / median / max | new master stepped down |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of runs) {
    for (const death of ['SIGKILL', 'SIGSTOP'] as const) {
      const ss = r.samples.filter((s) => s.death === death);
      if (ss.length === 0) continue;
      const cap = r.capMs[death];
      const downs = ss.filter((s) => s.steppedDown).length;
      lines.push(`| ${r.target} | ${death} | ${ss.length} | ${spreadText(spread(ss.map((s) => s.acceptMs)), cap)} | ${spreadText(spread(ss.map((s) => s.receiptMs)), cap)} | ${downs} |`);
    }
  }
  const check = (r: TakeoverRun, death: Death, limitMs: number, text: string): string => {
    const ss = r.samples.filter((x) => x.death === death);
    const sp = spread(ss.map((x) => x.acceptMs));
    const met = sp.within === sp.runs && (sp.max ?? Infinity) <= limitMs && ss.every((x) => !x.steppedDown);
    return `  ${ss.length === 0 ? 'not run' : met ? 'MET    ' : 'MISSED '}  ${r.target} ${TAKEOVER_NAME}: ${death} -> standby accepting <= ${limitMs} ms, every run, no step-down (${text})`;
  };
  const goals = runs
    .filter((r) => !isActiveMqTarget(r.target))
    .flatMap((r) => [check(r, 'SIGKILL', TAKEOVER_GOAL_MS, 'the issue\'s goal'), check(r, 'SIGSTOP', PAUSE_EXPECTED_MS, 'about the default lease')]);
  if (goals.length > 0) lines.push('', 'FerryMQ goals:', ...goals);
  return lines.join('\n');
}
