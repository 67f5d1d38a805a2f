/**
 * The backlog scenario's delivery check (every message exactly once, in order) and its report.
 * Messages carry their 0-based position in a header; a Uint8Array of N flags (1 MB for a
 * million) tells first deliveries from duplicates without a per-message allocation.
 */
import type { BacklogRun } from './scenario-backlog.js';

/** The issue's recovery goal: 1 million pending messages recovered in under 10 s (2-core machine). */
export const RECOVERY_GOAL_MESSAGES = 1_000_000;
export const RECOVERY_GOAL_SECONDS = 10;
/** Anomalies quoted in the report (the counts cover all of them). */
const ANOMALIES_KEPT = 5;

export class DrainChecker {
  /** MESSAGE frames read, duplicates and foreign ones included. */
  received = 0;
  /** Distinct backlog messages read. */
  unique = 0;
  duplicates = 0;
  /** First deliveries whose position is not the previous first delivery's + 1. */
  outOfOrder = 0;
  /** MESSAGEs without a valid position header (not from this backlog). */
  invalid = 0;
  readonly anomalies: string[] = [];
  private next = 0;
  private readonly seen: Uint8Array;

  constructor(readonly expected: number) {
    this.seen = new Uint8Array(expected);
  }

  record(seqText: string | undefined): void {
    this.received++;
    const seq = Number(seqText);
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.expected) {
      this.invalid++;
      this.note(`message ${this.received} has position ${String(seqText)}`);
      return;
    }
    if (this.seen[seq] === 1) {
      this.duplicates++;
      this.note(`position ${seq} delivered again (message ${this.received})`);
      return;
    }
    this.seen[seq] = 1;
    this.unique++;
    if (seq !== this.next) {
      this.outOfOrder++;
      this.note(`expected position ${this.next}, got ${seq} (message ${this.received})`);
    }
    this.next = seq + 1;
  }

  /** The first few missing positions. */
  missingSample(max: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.expected && out.length < max; i++) if (this.seen[i] !== 1) out.push(i);
    return out;
  }

  describe(): string {
    return `received ${this.received}, distinct ${this.unique} of ${this.expected}, duplicates ${this.duplicates}, out of order ${this.outOfOrder}`;
  }

  private note(text: string): void {
    if (this.anomalies.length < ANOMALIES_KEPT) this.anomalies.push(text);
  }
}

export interface DrainCheck {
  readonly expected: number;
  readonly received: number;
  readonly unique: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly invalid: number;
  readonly missing: number;
  readonly missingSample: readonly number[];
  /** MESSAGEs that arrived after every expected one had (duplicates or strays). */
  readonly extraAfterEnd: number;
  /** The stall message when the drain stopped making progress. */
  readonly stalled: string | undefined;
  readonly anomalies: readonly string[];
  /** Every message exactly once, in order, nothing else. */
  readonly ok: boolean;
}

export function checkDrain(c: DrainChecker, receivedAtEnd: number, stalled: string | undefined): DrainCheck {
  const missing = c.expected - c.unique;
  return {
    expected: c.expected,
    received: c.received,
    unique: c.unique,
    duplicates: c.duplicates,
    outOfOrder: c.outOfOrder,
    invalid: c.invalid,
    missing,
    missingSample: c.missingSample(ANOMALIES_KEPT),
    extraAfterEnd: c.received - receivedAtEnd,
    stalled,
    anomalies: c.anomalies,
    ok: missing === 0 && c.duplicates === 0 && c.outOfOrder === 0 && c.invalid === 0 && stalled === undefined,
  };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number | undefined): string => (bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
const pct = (n: number | undefined): string => (n === undefined ? 'n/a' : `${n.toFixed(0)}%`);

function checkText(c: DrainCheck): string {
  if (c.ok) return `${int(c.expected)} delivered, every message exactly once, in order, nothing after the last`;
  const parts = [
    `FAILED: ${int(c.unique)} of ${int(c.expected)} distinct`,
    `missing ${int(c.missing)}${c.missing > 0 ? ` (first: ${c.missingSample.join(', ')})` : ''}`,
    `duplicates ${int(c.duplicates)}`,
    `out of order ${int(c.outOfOrder)}`,
    `without position ${int(c.invalid)}`,
    `after the end ${int(c.extraAfterEnd)}`,
  ];
  const lines = [parts.join(', ')];
  if (c.stalled !== undefined) lines.push(`      ${c.stalled}`);
  for (const a of c.anomalies) lines.push(`      ${a}`);
  return lines.join('\n');
}

/** The text report of one backlog run. */
export function formatBacklog(run: BacklogRun): string {
  const head = `[${run.target}] backlog`;
  if (run.result === undefined) return `${head}: FAILED: ${run.error ?? 'unknown error'}`;
  const r = run.result;
  const limit = r.memoryLimit === undefined ? 'JVM heap 1 GiB, memoryUsage 70%' : `limits.memory ${mib(r.memoryLimit)}`;
  const e = r.enqueue;
  const d = r.drain;
  const rec = r.recovery;
  const own = rec.brokerMs === undefined ? '' : ` (broker 'store recovered' ${int(rec.brokerMs)} ms, of which journal replay ${rec.journalMs === undefined ? 'n/a' : `${int(rec.journalMs)} ms`})`;
  const after = r.diskAfterDrain;
  const goal =
    run.target === 'ferrymq' && r.messages >= RECOVERY_GOAL_MESSAGES
      ? [`    goal (${int(RECOVERY_GOAL_MESSAGES)} pending recovered in < ${RECOVERY_GOAL_SECONDS} s): ${rec.seconds < RECOVERY_GOAL_SECONDS ? 'met' : 'NOT met'}`]
      : [];
  return [
    `${head}: ${int(r.messages)} persistent messages of ${r.bodySize} B on one queue, ${limit}`,
    `    enqueue (no consumer, every SEND with a durable RECEIPT): ${e.seconds.toFixed(1)} s = ${int(e.rate)} msg/s; ` +
      `broker peak RSS ${mib(e.peakRss)} (VmHWM ${mib(e.peakRssHwm)}); CPU broker ${pct(e.cpu.brokerPercent)}, generator ${pct(e.cpu.generatorPercent)}`,
    `    disk after enqueue: ${mib(r.diskAfterEnqueue.bytes)} in ${r.diskAfterEnqueue.files} files (allocated ${mib(r.diskAfterEnqueue.allocatedBytes)})`,
    `    restart: stop (SIGTERM -> exit) ${r.stopSeconds.toFixed(2)} s; spawn -> STOMP CONNECTED ${rec.seconds.toFixed(2)} s${own}`,
    `    after recovery: RSS ${mib(rec.rss)} (peak during recovery ${mib(rec.peakRss)})`,
    `    drain (1 consumer, ack auto, prefetch 1000): ${d.seconds.toFixed(1)} s = ${int(d.rate)} msg/s; ` +
      `broker peak RSS ${mib(d.peakRss)}; CPU broker ${pct(d.cpu.brokerPercent)}, generator ${pct(d.cpu.generatorPercent)}`,
    `    check: ${checkText(d.check)}`,
    `    disk after drain: ${mib(after.bytes)} in ${after.files} files (allocated ${mib(after.allocatedBytes)}; ` +
      `last change ${after.settledAfterSeconds.toFixed(0)} s after the drain, watched ${after.watchedSeconds.toFixed(0)} s)`,
    ...goal,
  ].join('\n');
}
