/** Formatting of bench results: one line per run, the side-by-side table, and the goals. */
import os from 'node:os';
import type { LatencySummary } from './measure.js';
import type { ScenarioResult } from './scenario-api.js';
import type { TargetName } from './targets.js';

export interface TargetRun {
  readonly target: TargetName;
  readonly label: string;
  readonly scenario: string;
  readonly result?: ScenarioResult | undefined;
  readonly error?: string | undefined;
}

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** 1-minute load average when the run started: other work on the machine skews the numbers. */
  readonly loadAverage: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg()[0] ?? 0,
  };
}

/** The issues' goals for FerryMQ, each checked against one target's results. */
export const GOALS: ReadonlyArray<{ readonly target: TargetName; readonly scenario: string; readonly text: string; met(r: ScenarioResult): boolean }> = [
  { target: 'ferrymq', scenario: 'queue', text: '>= 100k msg/s non-persistent', met: (r) => r.rate >= 100_000 },
  { target: 'ferrymq', scenario: 'persistent', text: '>= 40k msg/s persistent with receipts', met: (r) => r.rate >= 40_000 },
  { target: 'ferrymq', scenario: 'fanout', text: '>= 200k deliveries/s fan-out', met: (r) => r.rate >= 200_000 },
  { target: 'ferrymq', scenario: 'request-reply', text: 'round trip p50 <= 0.15 ms', met: (r) => r.latency.p50 <= 0.15 },
  { target: 'ferrymq-postgres', scenario: 'persistent', text: '>= 10k msg/s persistent with receipts on the local PostgreSQL', met: (r) => r.rate >= 10_000 },
];

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => (n < 1 ? n.toFixed(3) : n < 100 ? n.toFixed(2) : n.toFixed(0));

function latencyText(l: LatencySummary): string {
  return `p50 ${ms(l.p50)} p90 ${ms(l.p90)} p99 ${ms(l.p99)} max ${ms(l.max)} ms`;
}

export function formatMachine(m: MachineInfo, command: string): string {
  return [
    `command: ${command}`,
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, node ${m.node}, load average ${m.loadAverage.toFixed(2)}`,
  ].join('\n');
}

export function formatRun(run: TargetRun): string {
  const head = `[${run.target}] ${run.scenario}`;
  if (run.result === undefined) return `${head}: FAILED: ${run.error ?? 'unknown error'}`;
  const r = run.result;
  const cpu = `CPU: generator ${r.cpu.generatorPercent.toFixed(0)}%, broker ${r.cpu.brokerPercent === undefined ? 'n/a' : `${r.cpu.brokerPercent.toFixed(0)}%`}`;
  const what = r.unit === 'round trips/s' ? `${int(r.messages)} round trips` : `${int(r.messages)} messages, ${int(r.deliveries)} deliveries`;
  const capped = r.timeCapped ? ' (time cap reached: fewer messages than asked)' : '';
  const lines = [
    `${head}: ${what} in ${r.seconds.toFixed(2)} s = ${int(r.rate)} ${r.unit}${capped}`,
    `    latency (${r.latencyWhat}): ${latencyText(r.latency)}`,
  ];
  if (r.extraLatency !== undefined) lines.push(`    latency (${r.extraLatency.what}): ${latencyText(r.extraLatency.summary)}`);
  lines.push(`    ${cpu}`);
  return lines.join('\n');
}

/** Like-for-like pairs: a FerryMQ target and the ActiveMQ target on the same kind of store. */
export const COMPARISON_PAIRS: ReadonlyArray<{ readonly ferrymq: TargetName; readonly activemq: TargetName }> = [
  { ferrymq: 'ferrymq', activemq: 'activemq' },
  { ferrymq: 'ferrymq-postgres', activemq: 'activemq-jdbc' },
];

export interface ComparisonRow {
  readonly scenario: string;
  readonly metric: string;
  /** Per target that ran (undefined when it failed or did not run this scenario). */
  readonly values: Partial<Record<TargetName, number>>;
  /**
   * Per COMPARISON_PAIRS entry with both results, keyed `ferrymq/activemq`: > 1 means FerryMQ is
   * better (rates: FerryMQ / ActiveMQ; latencies: ActiveMQ / FerryMQ).
   */
  readonly ratios: Readonly<Record<string, number>>;
}

export function comparisonRows(runs: readonly TargetRun[], scenarios: readonly string[]): ComparisonRow[] {
  const find = (target: TargetName, scenario: string): ScenarioResult | undefined =>
    runs.find((r) => r.target === target && r.scenario === scenario)?.result;
  const targets = [...new Set(runs.map((r) => r.target))];
  const rows: ComparisonRow[] = [];
  for (const scenario of scenarios) {
    const results = targets.map((t) => [t, find(t, scenario)] as const);
    const unit = results.find(([, r]) => r !== undefined)?.[1]?.unit ?? 'msg/s';
    const metrics: Array<{ metric: string; pick: (r: ScenarioResult) => number; higherIsBetter: boolean }> = [
      { metric: unit, pick: (r) => r.rate, higherIsBetter: true },
      { metric: 'p50 ms', pick: (r) => r.latency.p50, higherIsBetter: false },
      { metric: 'p99 ms', pick: (r) => r.latency.p99, higherIsBetter: false },
    ];
    for (const m of metrics) {
      const values: Partial<Record<TargetName, number>> = {};
      for (const [t, r] of results) if (r !== undefined) values[t] = m.pick(r);
      const ratios: Record<string, number> = {};
      for (const pair of COMPARISON_PAIRS) {
        const fv = values[pair.ferrymq];
        const av = values[pair.activemq];
        if (fv !== undefined && av !== undefined && fv > 0 && av > 0) ratios[`${pair.ferrymq}/${pair.activemq}`] = m.higherIsBetter ? fv / av : av / fv;
      }
      rows.push({ scenario, metric: m.metric, values, ratios });
    }
  }
  return rows;
}

/** A Markdown table, one column per target and per pair: readable in a terminal and pasteable into docs/benchmarks.md. */
export function formatComparison(rows: readonly ComparisonRow[], targets: readonly TargetName[]): string {
  const cell = (v: number | undefined, metric: string): string =>
    v === undefined ? '—' : metric.endsWith('ms') ? ms(v) : int(v);
  const pairs = COMPARISON_PAIRS.filter((p) => targets.includes(p.ferrymq) && targets.includes(p.activemq)).map((p) => `${p.ferrymq}/${p.activemq}`);
  const ratioHeads = pairs.map((p) => (pairs.length === 1 ? 'ratio' : `ratio ${p}`));
  const lines = [
    `| scenario | metric | ${[...targets, ...ratioHeads].join(' | ')} |`,
    `| --- | --- | ${[...targets, ...ratioHeads].map(() => '---:').join(' | ')} |`,
  ];
  for (const r of rows) {
    const ratios = pairs.map((p) => {
      const v = r.ratios[p];
      return v === undefined ? '—' : `${v.toFixed(2)}×`;
    });
    lines.push(`| ${r.scenario} | ${r.metric} | ${[...targets.map((t) => cell(r.values[t], r.metric)), ...ratios].join(' | ')} |`);
  }
  if (pairs.length > 0) lines.push('ratio > 1 means FerryMQ is better (rates: FerryMQ / ActiveMQ; latencies: ActiveMQ / FerryMQ).');
  return lines.join('\n');
}

export interface GoalStatus {
  readonly target: TargetName;
  readonly scenario: string;
  readonly goal: string;
  /** undefined when the scenario did not run (or failed) for FerryMQ. */
  readonly met: boolean | undefined;
}

/** The goals of the targets that ran (a default run does not list the SQL goal as "not run"). */
export function goalStatus(runs: readonly TargetRun[]): GoalStatus[] {
  return GOALS.filter((g) => runs.some((x) => x.target === g.target)).map((g) => {
    const r = runs.find((x) => x.target === g.target && x.scenario === g.scenario)?.result;
    return { target: g.target, scenario: g.scenario, goal: g.text, met: r === undefined ? undefined : g.met(r) };
  });
}

export function formatGoals(goals: readonly GoalStatus[]): string {
  return goals
    .map((g) => `  ${g.met === undefined ? 'not run' : g.met ? 'MET    ' : 'MISSED '}  ${g.target} ${g.scenario}: ${g.goal}`)
    .join('\n');
}
