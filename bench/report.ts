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

/** The issue's goals for FerryMQ, checked against its own results. */
export const GOALS: ReadonlyArray<{ readonly scenario: string; readonly text: string; met(r: ScenarioResult): boolean }> = [
  { scenario: 'queue', text: '>= 100k msg/s non-persistent', met: (r) => r.rate >= 100_000 },
  { scenario: 'persistent', text: '>= 40k msg/s persistent with receipts', met: (r) => r.rate >= 40_000 },
  { scenario: 'fanout', text: '>= 200k deliveries/s fan-out', met: (r) => r.rate >= 200_000 },
  { scenario: 'request-reply', text: 'round trip p50 <= 0.15 ms', met: (r) => r.latency.p50 <= 0.15 },
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

export interface ComparisonRow {
  readonly scenario: string;
  readonly metric: string;
  readonly ferrymq: number | undefined;
  readonly activemq: number | undefined;
  /** > 1 means FerryMQ is better (rates: FerryMQ / ActiveMQ; latencies: ActiveMQ / FerryMQ). */
  readonly ratio: number | undefined;
}

export function comparisonRows(runs: readonly TargetRun[], scenarios: readonly string[]): ComparisonRow[] {
  const find = (target: TargetName, scenario: string): ScenarioResult | undefined =>
    runs.find((r) => r.target === target && r.scenario === scenario)?.result;
  const rows: ComparisonRow[] = [];
  for (const scenario of scenarios) {
    const f = find('ferrymq', scenario);
    const a = find('activemq', scenario);
    const unit = f?.unit ?? a?.unit ?? 'msg/s';
    const metrics: Array<{ metric: string; pick: (r: ScenarioResult) => number; higherIsBetter: boolean }> = [
      { metric: unit, pick: (r) => r.rate, higherIsBetter: true },
      { metric: 'p50 ms', pick: (r) => r.latency.p50, higherIsBetter: false },
      { metric: 'p99 ms', pick: (r) => r.latency.p99, higherIsBetter: false },
    ];
    for (const m of metrics) {
      const fv = f === undefined ? undefined : m.pick(f);
      const av = a === undefined ? undefined : m.pick(a);
      let ratio: number | undefined;
      if (fv !== undefined && av !== undefined && fv > 0 && av > 0) ratio = m.higherIsBetter ? fv / av : av / fv;
      rows.push({ scenario, metric: m.metric, ferrymq: fv, activemq: av, ratio });
    }
  }
  return rows;
}

/** A Markdown table: readable in a terminal and pasteable into docs/benchmarks.md. */
export function formatComparison(rows: readonly ComparisonRow[]): string {
  const cell = (v: number | undefined, metric: string): string =>
    v === undefined ? '—' : metric.endsWith('ms') ? ms(v) : int(v);
  const lines = ['| scenario | metric | FerryMQ | ActiveMQ | ratio |', '| --- | --- | ---: | ---: | ---: |'];
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`;
    lines.push(`| ${r.scenario} | ${r.metric} | ${cell(r.ferrymq, r.metric)} | ${cell(r.activemq, r.metric)} | ${ratio} |`);
  }
  lines.push('ratio > 1 means FerryMQ is better (rates: FerryMQ / ActiveMQ; latencies: ActiveMQ / FerryMQ).');
  return lines.join('\n');
}

export interface GoalStatus {
  readonly scenario: string;
  readonly goal: string;
  /** undefined when the scenario did not run (or failed) for FerryMQ. */
  readonly met: boolean | undefined;
}

export function goalStatus(runs: readonly TargetRun[]): GoalStatus[] {
  return GOALS.map((g) => {
    const r = runs.find((x) => x.target === 'ferrymq' && x.scenario === g.scenario)?.result;
    return { scenario: g.scenario, goal: g.text, met: r === undefined ? undefined : g.met(r) };
  });
}

export function formatGoals(goals: readonly GoalStatus[]): string {
  return goals
    .map((g) => `  ${g.met === undefined ? 'not run' : g.met ? 'MET    ' : 'MISSED '}  ${g.scenario}: ${g.goal}`)
    .join('\n');
}
