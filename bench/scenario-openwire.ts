/**
 * The `openwire` scenarios (opt-in: `--scenario openwire`, or `openwire:NAME[,openwire:NAME]` for
 * some): ActiveMQ's own JMS client (bench/java/OpenWireLoad.java, one JVM per run) against
 * FerryMQ's OpenWire listener (journal store, default config) and ActiveMQ 5.17's OpenWire
 * connector (KahaDB), each broker started fresh for every scenario and stopped after it.
 *
 * Every scenario: a warm-up (new connections, other destinations), then a measured phase of
 * `messages` or what the producers send in the time cap, whichever ends first; the phase lasts
 * until every copy sent has arrived. Rates are copies received per second; latency is send ->
 * onMessage (request-reply: the round trip), from a nanoTime stamp in each body.
 */
import { formatTopFunctions, newestProfile, topFunctions, type HotFunction } from './profile-summary.js';
import { comparisonRows, formatComparison, formatRun, type ComparisonRow, type TargetRun } from './report.js';
import type { ScenarioResult } from './scenario-api.js';
import { runLoad } from './openwire-load.js';
import { startActiveMq, startFerryMq, type RunningTarget, type TargetName } from './targets.js';

export const OPENWIRE_NAME = 'openwire';
/** Measured phase cap when --max-seconds is not given: a scenario runs about 10-20 s per target. */
export const OPENWIRE_DEFAULT_SECONDS = 10;
/** Warm-up cap: enough for HotSpot's C2 and V8's optimiser on the hot paths. */
const WARMUP_SECONDS = 4;
/** Functions listed per scenario from a --profile run. */
const PROFILE_TOP = 12;

interface OpenWireScenario {
  /** OpenWireLoad's scenario name; the report prefixes `ow-`. */
  readonly name: string;
  readonly title: string;
  readonly producers: number;
  readonly consumers: number;
  /** Measured messages (round trips) by default; the time cap usually ends the phase first. */
  readonly messages: number;
  readonly warmup: number;
  readonly unit: string;
  readonly latencyWhat: string;
}

const ONE_WAY = 'send -> onMessage';

export const OPENWIRE_SCENARIOS: readonly OpenWireScenario[] = [
  { name: 'queue', title: 'non-persistent queue (async sends, the client default), 1 producer -> 1 consumer', producers: 1, consumers: 1, messages: 2_000_000, warmup: 100_000, unit: 'msg/s', latencyWhat: ONE_WAY },
  // Several producers: with one, a sync send is one fsync per message on either broker.
  { name: 'persistent-sync', title: 'persistent queue, sync sends, 4 producers -> 1 consumer', producers: 4, consumers: 1, messages: 1_000_000, warmup: 20_000, unit: 'msg/s', latencyWhat: ONE_WAY },
  { name: 'async', title: 'persistent queue, useAsyncSend + producerWindowSize 1024000, 1 producer -> 1 consumer', producers: 1, consumers: 1, messages: 1_000_000, warmup: 50_000, unit: 'msg/s', latencyWhat: ONE_WAY },
  { name: 'topic-fanout', title: 'non-persistent topic, 1 producer -> 10 subscribers', producers: 1, consumers: 10, messages: 1_000_000, warmup: 20_000, unit: 'deliveries/s', latencyWhat: ONE_WAY },
  { name: 'request-reply', title: 'request to a queue, reply to a temporary queue, one at a time', producers: 1, consumers: 1, messages: 1_000_000, warmup: 10_000, unit: 'round trips/s', latencyWhat: 'round trip' },
];

/** `openwire` = every scenario; `openwire:NAME` = one; undefined when `names` asks for none. */
export function chooseOpenWire(names: readonly string[]): { chosen: OpenWireScenario[]; unknown: string[] } | undefined {
  const mine = names.filter((n) => n === OPENWIRE_NAME || n.startsWith(`${OPENWIRE_NAME}:`));
  if (mine.length === 0) return undefined;
  if (mine.includes(OPENWIRE_NAME)) return { chosen: [...OPENWIRE_SCENARIOS], unknown: [] };
  const wanted = mine.map((n) => n.slice(OPENWIRE_NAME.length + 1));
  return { chosen: OPENWIRE_SCENARIOS.filter((s) => wanted.includes(s.name)), unknown: wanted.filter((w) => !OPENWIRE_SCENARIOS.some((s) => s.name === w)) };
}

export interface OpenWireOptions {
  readonly scenarios: readonly OpenWireScenario[];
  readonly targets: readonly TargetName[];
  /** Overrides each scenario's default message count. */
  readonly messages: number | undefined;
  readonly bodySize: number;
  readonly maxSeconds: number;
  readonly profileDir: string | undefined;
  readonly log: (line: string) => void;
}

export interface OpenWireReport {
  readonly runs: TargetRun[];
  readonly comparison: ComparisonRow[];
  /** The aim per scenario: FerryMQ at least 2x ActiveMQ's rate, and a lower p99. */
  readonly aims: Array<{ scenario: string; rateRatio: number; p99Ratio: number; met: boolean }>;
  /** With --profile: the FerryMQ broker's top functions by self time, per scenario. */
  readonly profiles: Record<string, HotFunction[]>;
}

const reportName = (s: OpenWireScenario): string => `ow-${s.name}`;

async function start(name: TargetName, profileDir: string | undefined): Promise<RunningTarget> {
  if (name === 'ferrymq') return startFerryMq({ openwire: true, profileDir });
  return startActiveMq({ openwire: true });
}

async function runScenario(target: RunningTarget, s: OpenWireScenario, opts: OpenWireOptions): Promise<ScenarioResult> {
  const messages = opts.messages ?? s.messages;
  const r = await runLoad(
    {
      url: `tcp://${target.host}:${target.openwirePort ?? 0}`,
      scenario: s.name,
      messages,
      warmup: Math.min(s.warmup, messages),
      warmupSeconds: WARMUP_SECONDS,
      maxSeconds: opts.maxSeconds,
      bodySize: opts.bodySize,
      producers: s.producers,
      consumers: s.consumers,
    },
    target.pid,
  );
  if (r.errors > 0) throw new Error(`${r.errors} errors (${r.sent} messages sent, ${r.received} copies received); first: ${r.firstError ?? '?'}`);
  return {
    scenario: reportName(s),
    messages: r.sent,
    timeCapped: r.sent < messages,
    deliveries: r.received,
    seconds: r.seconds,
    rate: r.receiveRate,
    unit: s.unit,
    latency: r.latency,
    latencyWhat: s.latencyWhat,
    extraLatency: undefined,
    cpu: { generatorPercent: r.generatorCpuPercent, brokerPercent: r.brokerCpuPercent },
  };
}

/** Every chosen scenario on each of ferrymq and activemq (other targets are skipped), in turn. */
export async function runOpenWire(opts: OpenWireOptions): Promise<OpenWireReport> {
  const runs: TargetRun[] = [];
  const profiles: Record<string, HotFunction[]> = {};
  for (const name of opts.targets) {
    if (name !== 'ferrymq' && name !== 'activemq') {
      opts.log(`${OPENWIRE_NAME}: skipping ${name} (the OpenWire scenarios run on ferrymq and activemq)`);
      continue;
    }
    for (const s of opts.scenarios) {
      // A fresh broker per scenario: one that failed (or fenced itself) does not fail the next.
      let target: RunningTarget;
      try {
        target = await start(name, opts.profileDir);
      } catch (err) {
        runs.push({ target: name, label: name, scenario: reportName(s), error: `broker did not start: ${(err as Error).message}` });
        continue;
      }
      opts.log(`[${name}] ${reportName(s)}: ${s.title}; warm-up ${s.warmup} (<= ${WARMUP_SECONDS} s), then <= ${opts.maxSeconds} s`);
      let run: TargetRun;
      try {
        run = { target: name, label: target.label, scenario: reportName(s), result: await runScenario(target, s, opts) };
      } catch (err) {
        run = { target: name, label: target.label, scenario: reportName(s), error: (err as Error).message };
      } finally {
        await target.stop();
      }
      runs.push(run);
      opts.log(formatRun(run));
      const file = name === 'ferrymq' && opts.profileDir !== undefined ? newestProfile(opts.profileDir) : undefined;
      if (file !== undefined) profiles[reportName(s)] = topFunctions(file, PROFILE_TOP);
    }
  }
  const comparison = comparisonRows(runs, opts.scenarios.map(reportName));
  return { runs, comparison, aims: aims(runs, opts.scenarios), profiles };
}

function aims(runs: readonly TargetRun[], scenarios: readonly OpenWireScenario[]): OpenWireReport['aims'] {
  const out: OpenWireReport['aims'] = [];
  for (const s of scenarios) {
    const f = runs.find((r) => r.target === 'ferrymq' && r.scenario === reportName(s))?.result;
    const a = runs.find((r) => r.target === 'activemq' && r.scenario === reportName(s))?.result;
    if (f === undefined || a === undefined || a.rate <= 0 || f.latency.p99 <= 0) continue;
    const rateRatio = f.rate / a.rate;
    const p99Ratio = a.latency.p99 / f.latency.p99;
    out.push({ scenario: reportName(s), rateRatio, p99Ratio, met: rateRatio >= 2 && p99Ratio > 1 });
  }
  return out;
}

export function formatOpenWire(report: OpenWireReport): string {
  const out = ['OpenWire (ActiveMQ JMS client, bench/java/OpenWireLoad.java):', ...report.runs.map(formatRun), ''];
  out.push(formatComparison(report.comparison, [...new Set(report.runs.map((r) => r.target))]));
  if (report.aims.length > 0) {
    out.push('', 'Aim: FerryMQ >= 2x ActiveMQ throughput and a lower p99:');
    for (const a of report.aims) out.push(`  ${a.met ? 'MET   ' : 'MISSED'}  ${a.scenario}: rate ${a.rateRatio.toFixed(2)}x, p99 ${a.p99Ratio.toFixed(2)}x`);
  }
  for (const [scenario, top] of Object.entries(report.profiles)) {
    out.push('', `FerryMQ broker, ${scenario}: top ${PROFILE_TOP} functions by self time (% of busy samples):`, formatTopFunctions(top));
  }
  return out.join('\n');
}
