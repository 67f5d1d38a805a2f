/**
 * `<dataDirectory>/brokers/<host>-<pid>.json`: one record per running `ferrymq start`, so that
 * `stop` and `status` reach each broker of a master/slave group sharing the data directory (they
 * tell them apart by their configured listeners) and show each one's role. Replaces a single pid
 * file, which two brokers on one directory cannot share. A record whose process is gone (same
 * host, boot and pid namespace, no such pid) is stale and ignored; records of other hosts (a
 * shared file system) are shown but never signalled.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostIdentity, isProcessAlive, sameProcessSpace } from '../ha/host-identity.js';

export const INSTANCES_DIRECTORY = 'brokers';

export interface InstanceRecord {
  readonly pid: number;
  readonly host: string;
  readonly bootId: string;
  readonly pidNamespace: string;
  readonly startedAt: string;
  /** The config file it was started with, or null for the defaults. */
  readonly config: string | null;
  /** Listener URIs as configured: how stop and status pick "this" broker. */
  readonly listeners: readonly string[];
  /** standby, activating, master, stepping-down, stopping. */
  readonly role: string;
  readonly roleSince: string;
  /** Master: the lock epoch. */
  readonly epoch?: number | undefined;
  /** Standby: who holds the lock, in words. */
  readonly holder?: string | undefined;
  /** Master: `stomp on 0.0.0.0:61613` for each bound listener. */
  readonly bound?: readonly string[] | undefined;
}

export interface FoundInstance {
  readonly record: InstanceRecord;
  readonly path: string;
  /** This host (pids mean something here). */
  readonly local: boolean;
}

export function instanceRecordPath(dataDirectory: string, pid: number = process.pid): string {
  return join(dataDirectory, INSTANCES_DIRECTORY, `${hostIdentity().host}-${pid}.json`);
}

/** Writes (replaces) this process's record, atomically. */
export function writeInstanceRecord(dataDirectory: string, record: InstanceRecord): void {
  const path = instanceRecordPath(dataDirectory, record.pid);
  mkdirSync(join(dataDirectory, INSTANCES_DIRECTORY), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n');
  renameSync(tmp, path);
}

export function removeInstanceRecord(dataDirectory: string, pid: number = process.pid): void {
  rmSync(instanceRecordPath(dataDirectory, pid), { force: true });
}

/** A new record for this process (role `starting`). */
export function newInstanceRecord(config: string | null, listeners: readonly string[]): InstanceRecord {
  const me = hostIdentity();
  const now = new Date().toISOString();
  return { pid: process.pid, ...me, startedAt: now, config, listeners: [...listeners], role: 'starting', roleSince: now };
}

/**
 * The live brokers registered in the data directory, this host's first. Stale records of this
 * host are deleted on the way.
 */
export function listInstances(dataDirectory: string): FoundInstance[] {
  const dir = join(dataDirectory, INSTANCES_DIRECTORY);
  let names: string[];
  try {
    const all = readdirSync(dir);
    removeStaleTemporaries(dir, all);
    names = all.filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const found: FoundInstance[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let record: InstanceRecord;
    try {
      record = JSON.parse(readFileSync(path, 'utf8')) as InstanceRecord;
    } catch {
      continue; // being replaced right now, or not ours
    }
    const local = sameProcessSpace(record);
    if (local && !isProcessAlive(record.pid)) {
      rmSync(path, { force: true });
      continue;
    }
    found.push({ record, path, local });
  }
  return found.sort((a, b) => Number(b.local) - Number(a.local) || a.record.startedAt.localeCompare(b.record.startedAt));
}

/**
 * A broker killed between writing `<host>-<pid>.json.tmp` and renaming it leaves the temporary
 * behind: this host's temporaries whose pid is gone are deleted with the stale records.
 */
function removeStaleTemporaries(dir: string, names: readonly string[]): void {
  const prefix = `${hostIdentity().host}-`;
  for (const name of names) {
    const pid = /-(\d+)\.json\.tmp$/.exec(name)?.[1];
    if (pid !== undefined && name.startsWith(prefix) && !isProcessAlive(Number(pid))) rmSync(join(dir, name), { force: true });
  }
}

/** True when `record` was started with exactly these listener URIs (order does not matter). */
export function sameListeners(record: InstanceRecord, listeners: readonly string[]): boolean {
  const a = [...record.listeners].sort();
  const b = [...listeners].sort();
  return a.length === b.length && a.every((u, i) => u === b[i]);
}

/** What a broker does, e.g. `standby since T, waiting for the lock held by broker hub (pid 41 on host-a)`. */
export function describeRole(r: InstanceRecord): string {
  switch (r.role) {
    case 'master':
      return `master since ${r.roleSince}${r.epoch !== undefined ? `, lock epoch ${r.epoch}` : ''}`;
    case 'standby':
      return `standby since ${r.roleSince}, ${r.holder !== undefined ? `waiting for the lock held by ${r.holder}` : 'waiting for the lock'}`;
    default:
      return `${r.role} since ${r.roleSince}`;
  }
}

/** `pid 42` here, `pid 42 on host-b` for a broker of another host. */
export function describeProcess(found: FoundInstance): string {
  return found.local ? `pid ${found.record.pid}` : `pid ${found.record.pid} on ${found.record.host}`;
}
