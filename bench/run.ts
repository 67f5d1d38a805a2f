/**
 * `npm run bench`: runs the load scenarios against FerryMQ and, when it is installed, ActiveMQ
 * Classic, each broker in a child process of its own, over TCP with STOMP 1.2.
 *
 *   npm run bench -- [--scenario NAME[,NAME]] [--messages N] [--size BYTES]
 *                    [--target T[,T]] [--sql] [--json] [--profile DIR]
 *
 * Progress goes to stderr; results (text, or one JSON document with --json) to stdout.
 * Method notes: docs/benchmarks.md.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { now } from './measure.js';
import { formatTopFunctions, newestProfile, topFunctions, type HotFunction } from './profile-summary.js';
import {
  comparisonRows,
  formatComparison,
  formatGoals,
  formatMachine,
  formatRun,
  goalStatus,
  machineInfo,
  type TargetRun,
} from './report.js';
import type { Scenario } from './scenario-api.js';
import { persistentScenario, queueScenario } from './scenario-queue.js';
import { requestReplyScenario } from './scenario-request-reply.js';
import { BACKLOG_DEFAULT_MESSAGES, BACKLOG_NAME, formatBacklog, runBacklog, type BacklogRun } from './scenario-backlog.js';
import { chooseOpenWire, formatOpenWire, OPENWIRE_DEFAULT_SECONDS, OPENWIRE_NAME, OPENWIRE_SCENARIOS, runOpenWire, type OpenWireOptions, type OpenWireReport } from './scenario-openwire.js';
import { fanoutScenario } from './scenario-topic.js';
import { formatTakeover, runTakeover, TAKEOVER_DEFAULT_KILLS, TAKEOVER_DEFAULT_PAUSES, TAKEOVER_NAME, type TakeoverRun } from './scenario-takeover.js';
import { findActiveMq, isActiveMqTarget, startTarget, stopAllTargets, targetDatabase, TARGET_NAMES, type RunningTarget, type TargetName } from './targets.js';

const SCENARIOS: readonly Scenario[] = [queueScenario, persistentScenario, fanoutScenario, requestReplyScenario];
/** The brief's message size. */
const DEFAULT_BODY_SIZE = 256;
/** Warm-up is this share of --messages when that is smaller than the scenario's own warm-up. */
const WARMUP_SHARE = 0.1;
/**
 * A measured phase sends for at most this long: a broker far slower than the default message
 * counts assume (ActiveMQ's persistent sends) is measured over fewer messages, and a default run
 * of both brokers stays within about 3 minutes on 2 cores.
 */
const DEFAULT_MAX_SECONDS = 30;
/** Warm-up sends for at most this long. */
const WARMUP_MAX_SECONDS = 5;
/** Functions listed from a --profile run. */
const PROFILE_TOP = 25;
/**
 * What a SQL target runs when --scenario is not given: the other default scenarios are
 * non-persistent and never touch the store, so they would only repeat the journal target's numbers.
 */
const SQL_DEFAULT_SCENARIOS: readonly string[] = ['persistent'];
/** What --sql adds to the targets. */
const SQL_TARGETS: readonly TargetName[] = ['ferrymq-postgres', 'ferrymq-mysql', 'activemq-jdbc'];

const USAGE = `usage: npm run bench -- [options]
  --scenario NAME[,NAME]   ${SCENARIOS.map((s) => s.name).join(', ')} (default: all)
                           opt-in: ${BACKLOG_NAME} (${BACKLOG_DEFAULT_MESSAGES} queued, restart, drain; minutes)
                           opt-in: ${TAKEOVER_NAME} (master/slave pairs: kill or pause the master, time the takeover)
                           opt-in: ${OPENWIRE_NAME} (ActiveMQ's JMS client over OpenWire; ${OPENWIRE_NAME}:NAME for one of
                             ${OPENWIRE_SCENARIOS.map((s) => s.name).join(', ')}; --max-seconds default ${OPENWIRE_DEFAULT_SECONDS})
  --kills N                ${TAKEOVER_NAME}: SIGKILLs of the master per target (default ${TAKEOVER_DEFAULT_KILLS})
  --pauses N               ${TAKEOVER_NAME}: SIGSTOPs of the master per target (default ${TAKEOVER_DEFAULT_PAUSES})
  --messages N             measured messages (round trips) per scenario (default: per scenario)
  --size BYTES             message body size (default ${DEFAULT_BODY_SIZE})
  --max-seconds S          stop sending after S seconds of a measured phase (default ${DEFAULT_MAX_SECONDS})
  --target T[,T]           ${TARGET_NAMES.join(', ')}; both = ferrymq,activemq;
                           sql = ${SQL_TARGETS.join(',')} (default: both when ActiveMQ is installed)
  --sql                    add the SQL targets (each starts its own database server in a temp dir);
                           without --scenario they run only ${SQL_DEFAULT_SCENARIOS.join(', ')}
  --json                   print one JSON document instead of text
  --profile DIR            CPU-profile the FerryMQ broker child (node --cpu-prof) into DIR
  --no-fsync               FerryMQ journal without fdatasync (diagnosis only: is fsync the limit?)`;

const log = (line: string): void => {
  process.stderr.write(line + '\n');
};

interface Options {
  readonly scenarios: readonly Scenario[];
  /** --scenario was given: every target runs exactly those. */
  readonly scenariosChosen: boolean;
  readonly messages: number | undefined;
  readonly bodySize: number;
  readonly maxSeconds: number;
  readonly targets: readonly TargetName[];
  readonly json: boolean;
  readonly profileDir: string | undefined;
  readonly noFsync: boolean;
  readonly activemqMissing: boolean;
  /** The opt-in backlog scenario was asked for (--scenario backlog). */
  readonly backlog: boolean;
  /** The opt-in takeover scenario was asked for (--scenario takeover), and its rounds. */
  readonly takeover: boolean;
  readonly kills: number;
  readonly pauses: number;
  /** The opt-in OpenWire scenarios asked for (--scenario openwire[:NAME]), or undefined. */
  readonly openwire: OpenWireOptions['scenarios'] | undefined;
  /** --max-seconds was given (the OpenWire scenarios have a shorter default). */
  readonly maxSecondsChosen: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenario: { type: 'string', multiple: true },
      messages: { type: 'string' },
      size: { type: 'string' },
      'max-seconds': { type: 'string' },
      target: { type: 'string' },
      sql: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      profile: { type: 'string' },
      'no-fsync': { type: 'boolean', default: false },
      kills: { type: 'string' },
      pauses: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const names = (values.scenario ?? []).flatMap((s) => s.split(',')).filter((s) => s !== '');
  const backlog = names.includes(BACKLOG_NAME);
  const takeover = names.includes(TAKEOVER_NAME);
  const openwire = chooseOpenWire(names);
  if (openwire !== undefined && openwire.unknown.length > 0) usageError(`unknown OpenWire scenario ${openwire.unknown.join(', ')}`);
  const optIn = (n: string): boolean => n === BACKLOG_NAME || n === TAKEOVER_NAME || n === OPENWIRE_NAME || n.startsWith(`${OPENWIRE_NAME}:`);
  const scenarios = names.length === 0 ? SCENARIOS : names.filter((n) => !optIn(n)).map((n) => SCENARIOS.find((s) => s.name === n) ?? usageError(`unknown scenario ${n}`));
  const messages = values.messages === undefined ? undefined : positiveInt(values.messages, '--messages');
  const bodySize = values.size === undefined ? DEFAULT_BODY_SIZE : positiveInt(values.size, '--size');
  const maxSecondsText = values['max-seconds'];
  const maxSeconds = maxSecondsText === undefined ? DEFAULT_MAX_SECONDS : positiveInt(maxSecondsText, '--max-seconds');
  const activemqMissing = findActiveMq() === undefined;
  const targets = parseTargets(values.target ?? (activemqMissing ? 'ferrymq' : 'both'), values.sql, activemqMissing);
  if (targets.some(isActiveMqTarget) && activemqMissing) {
    usageError('ActiveMQ is not installed (looked for /usr/share/activemq/bin/activemq.jar or $ACTIVEMQ_HOME): run sudo scripts/install-bench-deps.sh');
  }
  const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
  const kills = values.kills === undefined ? TAKEOVER_DEFAULT_KILLS : nonNegativeInt(values.kills, '--kills');
  const pauses = values.pauses === undefined ? TAKEOVER_DEFAULT_PAUSES : nonNegativeInt(values.pauses, '--pauses');
  return {
    scenarios,
    scenariosChosen: names.length > 0,
    messages,
    bodySize,
    maxSeconds,
    targets,
    json: values.json,
    profileDir,
    noFsync: values['no-fsync'],
    activemqMissing,
    backlog,
    takeover,
    kills,
    pauses,
    openwire: openwire?.chosen,
    maxSecondsChosen: maxSecondsText !== undefined,
  };
}

/** `--target` names (with `both` and `sql` as shorthands) plus `--sql`, in order, without repeats. */
function parseTargets(text: string, sql: boolean, activemqMissing: boolean): TargetName[] {
  const names = text.split(',').filter((t) => t !== '');
  const out = new Set<TargetName>();
  const add = (list: readonly TargetName[]): void => list.forEach((t) => out.add(t));
  for (const n of names) {
    if (n === 'both') add(['ferrymq', 'activemq']);
    else if (n === 'sql') add(SQL_TARGETS);
    else add([TARGET_NAMES.find((t) => t === n) ?? usageError(`unknown target ${n}`)]);
  }
  // --sql on a machine without ActiveMQ: the FerryMQ SQL targets still run.
  if (sql) add(SQL_TARGETS.filter((t) => !(activemqMissing && isActiveMqTarget(t))));
  return [...out];
}

function nonNegativeInt(text: string, name: string): number {
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? n : usageError(`${name} must be a whole number, got ${text}`);
}

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : usageError(`${name} must be a positive integer, got ${text}`);
}

function usageError(message: string): never {
  console.error(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

/** The scenarios a target runs: a SQL target only the store-bound ones unless --scenario chose. */
function scenariosFor(name: TargetName, opts: Options): readonly Scenario[] {
  if (opts.scenariosChosen || targetDatabase(name) === undefined) return opts.scenarios;
  return opts.scenarios.filter((s) => SQL_DEFAULT_SCENARIOS.includes(s.name));
}

async function runTarget(name: TargetName, opts: Options, runs: TargetRun[]): Promise<HotFunction[] | undefined> {
  const scenarios = scenariosFor(name, opts);
  if (scenarios.length === 0) return undefined;
  log(`starting ${name} ...`);
  let target: RunningTarget;
  try {
    target = await startTarget(name, { profileDir: opts.profileDir, noFsync: opts.noFsync });
  } catch (err) {
    const error = (err as Error).message;
    log(`cannot start ${name}: ${error}`);
    for (const s of scenarios) runs.push({ target: name, label: name, scenario: s.name, error: `broker did not start: ${error}` });
    return undefined;
  }
  log(`${target.label} listening on ${target.host}:${target.port} (pid ${target.pid ?? '?'})`);
  try {
    for (const s of scenarios) {
      const messages = opts.messages ?? s.defaultMessages;
      const warmup = Math.max(1, Math.min(s.warmupMessages, Math.round(messages * WARMUP_SHARE)));
      const ctx = { host: target.host, port: target.port, bodySize: opts.bodySize, brokerPid: target.pid };
      try {
        log(`[${name}] ${s.name}: ${s.title}; warm-up ${warmup}, then ${messages}`);
        await s.run({ ...ctx, messages: warmup, sendDeadline: now() + WARMUP_MAX_SECONDS * 1000 });
        const result = await s.run({ ...ctx, messages, sendDeadline: now() + opts.maxSeconds * 1000 });
        const run: TargetRun = { target: name, label: target.label, scenario: s.name, result };
        runs.push(run);
        log(formatRun(run));
      } catch (err) {
        const run: TargetRun = { target: name, label: target.label, scenario: s.name, error: (err as Error).message };
        runs.push(run);
        log(formatRun(run));
      }
    }
  } finally {
    await target.stop();
  }
  if (isActiveMqTarget(name) || opts.profileDir === undefined) return undefined;
  const profile = newestProfile(opts.profileDir);
  if (profile === undefined) return undefined;
  log(`FerryMQ broker CPU profile: ${profile}`);
  return topFunctions(profile, PROFILE_TOP);
}

/** The backlog scenario on each target in turn (it starts and restarts its own brokers). */
async function runBacklogs(opts: Options): Promise<BacklogRun[]> {
  const out: BacklogRun[] = [];
  if (!opts.backlog) return out;
  const messages = opts.messages ?? BACKLOG_DEFAULT_MESSAGES;
  for (const target of opts.targets) {
    if (target !== 'ferrymq' && target !== 'activemq') {
      log(`${BACKLOG_NAME}: skipping ${target} (the backlog scenario runs on ferrymq and activemq only)`);
      continue;
    }
    const run = await runBacklog({ target, messages, bodySize: opts.bodySize, noFsync: opts.noFsync, log });
    log(formatBacklog(run));
    out.push(run);
  }
  return out;
}

/** The takeover scenario on each target in turn (each starts and kills its own pair). */
async function runTakeovers(opts: Options): Promise<TakeoverRun[]> {
  const out: TakeoverRun[] = [];
  if (!opts.takeover) return out;
  for (const target of opts.targets) {
    out.push(await runTakeover({ target, kills: opts.kills, pauses: opts.pauses, log }));
  }
  return out;
}

/** The OpenWire scenarios, when asked for (they start their own brokers with an OpenWire listener). */
async function runOpenWires(opts: Options): Promise<OpenWireReport | undefined> {
  if (opts.openwire === undefined) return undefined;
  return runOpenWire({
    scenarios: opts.openwire,
    targets: opts.targets,
    messages: opts.messages,
    bodySize: opts.bodySize,
    maxSeconds: opts.maxSecondsChosen ? opts.maxSeconds : OPENWIRE_DEFAULT_SECONDS,
    profileDir: opts.profileDir,
    log,
  });
}

/** Interrupted: stop the broker children, remove their temp dirs, exit. */
function onSignal(signal: NodeJS.Signals): void {
  log(`bench: ${signal}: stopping broker children`);
  void stopAllTargets().finally(() => process.exit(130));
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (opts.profileDir !== undefined) mkdirSync(opts.profileDir, { recursive: true });
  const machine = machineInfo();
  const command = ['npm run bench --', ...process.argv.slice(2)].join(' ');
  log(formatMachine(machine, command));
  const notes: string[] = [];
  if (opts.activemqMissing) {
    notes.push('ActiveMQ Classic is not installed, so only FerryMQ ran. For the side-by-side table: sudo scripts/install-activemq.sh, then npm run bench -- --target both');
  }
  const runs: TargetRun[] = [];
  let profile: HotFunction[] | undefined;
  for (const t of opts.targets) {
    const top = await runTarget(t, opts, runs);
    if (top !== undefined) profile = top;
  }
  const backlogRuns = await runBacklogs(opts);
  const takeoverRuns = await runTakeovers(opts);
  const openwire = await runOpenWires(opts);
  const names = opts.scenarios.map((s) => s.name);
  const rows = comparisonRows(runs, names);
  const goals = goalStatus(runs);

  if (opts.json) {
    console.log(JSON.stringify({ command, machine, bodySize: opts.bodySize, runs, comparison: rows, goals, profile, notes, backlog: backlogRuns, takeover: takeoverRuns, openwire }, null, 2));
  } else {
    const labels = [...new Set([...runs, ...backlogRuns, ...(openwire?.runs ?? [])].map((r) => `${r.target}: ${r.label}`))];
    const out = [formatMachine(machine, command), ...labels.map((l) => `broker ${l}`), `message body: ${opts.bodySize} B`, ''];
    if (runs.length > 0) {
      out.push(...runs.map(formatRun), '');
      out.push(formatComparison(rows, [...new Set(runs.map((r) => r.target))]));
      if (goals.length > 0) out.push('', 'FerryMQ goals:', formatGoals(goals));
    }
    if (backlogRuns.length > 0) out.push(...(runs.length > 0 ? [''] : []), ...backlogRuns.map(formatBacklog));
    if (takeoverRuns.length > 0) out.push(...(runs.length + backlogRuns.length > 0 ? [''] : []), formatTakeover(takeoverRuns));
    if (openwire !== undefined) out.push(...(runs.length + backlogRuns.length + takeoverRuns.length > 0 ? [''] : []), formatOpenWire(openwire));
    if (profile !== undefined) out.push('', `FerryMQ broker, top ${PROFILE_TOP} functions by self time (% of busy samples):`, formatTopFunctions(profile));
    for (const n of notes) out.push('', n);
    console.log(out.join('\n'));
  }
  if (runs.some((r) => r.result === undefined)) process.exitCode = 1;
  if (backlogRuns.some((r) => r.result?.drain.check.ok !== true)) process.exitCode = 1;
  if (takeoverRuns.some((r) => r.error !== undefined)) process.exitCode = 1;
  if (openwire?.runs.some((r) => r.result === undefined) === true) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error('bench failed:', err);
  process.exit(1);
});
