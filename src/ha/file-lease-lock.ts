/**
 * The master lock of a shared data directory: lease files in `<dataDirectory>/ha/`, one per epoch
 * (`lease-000000000042.json`), that hold across hosts on a shared file system because nothing in
 * them rests on pids or clocks alone.
 *
 * - Taking the lock is creating the next epoch's file with link(2), which fails if it exists: of
 *   two standbys racing for epoch E+1 exactly one wins, locally and over NFS.
 * - The holder renews by rewriting its own file in place (a counter goes up) every renewInterval,
 *   fdatasync'd; before each renewal it looks for a newer epoch by name (a takeover ends it).
 * - A standby takes over when the newest file is marked released (a clean stop), when its holder
 *   runs on this host, boot and pid namespace and its process is gone (seen within one
 *   retryInterval: the fast path after kill -9 or a crash), or when the file's content has not
 *   changed for a whole lease as measured on the standby's own monotonic clock (a hung master, a
 *   lost host). No wall clock is compared across machines, so a clock jump changes nothing.
 * - Files are read by name (open, read, close), never trusted from a directory listing, so NFS
 *   close-to-open consistency gives fresh content; see docs/ha.md for mount options.
 */
import { link, mkdir, open, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Lease, LockHolder, LockOptions, MasterLock } from './api.js';
import { hostIdentity, isProcessAlive, sameProcessSpace } from './host-identity.js';
import { RenewingLease } from './renewing-lease.js';
import { abortableSleep } from '../util/abortable-sleep.js';

/** Sub-directory of the data directory that holds the lease files. */
export const LEASE_DIRECTORY = 'ha';
/** Lease files are rewritten in place padded to this size, so a renewal never changes the file length. */
const RECORD_SIZE = 1024;
/** Older epochs kept for diagnosis; earlier ones are deleted by a new holder. */
const EPOCHS_KEPT = 2;

const LEASE_NAME = /^lease-(\d{12})\.json$/;

export function leaseFileName(epoch: number): string {
  return `lease-${String(epoch).padStart(12, '0')}.json`;
}

/** The content of a lease file. */
interface LeaseRecord extends LockHolder {
  readonly bootId: string;
  readonly pidNamespace: string;
  /** The holder's lease length (a standby waits at least this long). */
  readonly leaseMs: number;
  /** Goes up with every renewal: what a standby watches. */
  readonly renewals: number;
  /** Wall-clock time of the write: for people reading the file, never for decisions. */
  readonly written: string;
}

interface Observed {
  readonly epoch: number;
  /** Raw content, or undefined when there is no lease file at all. */
  readonly content: string | undefined;
  readonly record: LeaseRecord | undefined;
}

/** Lease holder ids of leases this process holds (a record with our own pid but another id is a previous life). */
const heldInThisProcess = new Set<string>();

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function parseRecord(content: string): LeaseRecord | undefined {
  try {
    const r = JSON.parse(content) as Partial<LeaseRecord>;
    if (typeof r.id !== 'string' || typeof r.epoch !== 'number' || typeof r.pid !== 'number') return undefined;
    return {
      id: r.id,
      host: String(r.host ?? ''),
      bootId: String(r.bootId ?? ''),
      pidNamespace: String(r.pidNamespace ?? ''),
      pid: r.pid,
      broker: String(r.broker ?? ''),
      listeners: Array.isArray(r.listeners) ? r.listeners.map(String) : [],
      epoch: r.epoch,
      released: r.released === true,
      leaseMs: typeof r.leaseMs === 'number' ? r.leaseMs : 0,
      renewals: typeof r.renewals === 'number' ? r.renewals : 0,
      written: String(r.written ?? ''),
    };
  } catch {
    return undefined; // torn by a concurrent in-place rewrite: counts as "changed", read again next time
  }
}

function encodeRecord(r: LeaseRecord): Buffer {
  const json = JSON.stringify(r);
  return Buffer.from(json.length < RECORD_SIZE ? json.padEnd(RECORD_SIZE - 1, ' ') + '\n' : json + '\n');
}

export class FileLeaseLock implements MasterLock {
  readonly description: string;
  private readonly directory: string;

  constructor(
    dataDirectory: string,
    private readonly options: LockOptions,
    private readonly log: Logger,
  ) {
    this.directory = join(dataDirectory, LEASE_DIRECTORY);
    this.description = `lease file in ${this.directory}`;
  }

  async acquire(signal: AbortSignal, onWaiting?: (holder: LockHolder) => void): Promise<Lease> {
    await mkdir(this.directory, { recursive: true });
    let seen: { content: string | undefined; since: number } | undefined;
    let reported: string | undefined;
    for (;;) {
      signal.throwIfAborted();
      const now = performance.now();
      const current = await this.observe();
      if (seen === undefined || seen.content !== current.content) seen = { content: current.content, since: now };
      const r = current.record;
      const reason = this.takeoverReason(current, now - seen.since);
      if (reason !== undefined) {
        const lease = await this.tryCreate(current.epoch + 1, reason, r);
        if (lease !== undefined) return lease;
        seen = undefined; // lost the race: watch the winner from scratch
      } else if (r !== undefined && r.id !== reported) {
        reported = r.id;
        onWaiting?.(r);
      }
      await abortableSleep(this.options.retryInterval, signal);
    }
  }

  async inspect(): Promise<LockHolder | undefined> {
    return (await this.observe()).record;
  }

  async close(): Promise<void> {
    // Nothing is kept open between renewals; a held lease is released by its holder.
  }

  /** Why the lock may be taken now, or undefined when its holder is (or may be) alive. */
  private takeoverReason(current: Observed, unchangedMs: number): string | undefined {
    if (current.content === undefined) return current.epoch === 0 ? 'no broker ever held the lock' : 'the lease file vanished';
    const r = current.record;
    if (r?.released === true) return `released by ${describeHolder(r)}`;
    if (r !== undefined && sameProcessSpace(r)) {
      if (r.pid === process.pid) {
        if (!heldInThisProcess.has(r.id)) return 'left by an earlier run of this process id';
      } else if (!isProcessAlive(r.pid)) return `${describeHolder(r)} is gone`;
    }
    const lease = Math.max(this.options.lease, r?.leaseMs ?? 0);
    if (unchangedMs >= lease) return `not renewed for ${Math.round(unchangedMs)} ms (lease ${lease} ms)`;
    return undefined;
  }

  /** Reads the newest epoch's file by name. */
  private async observe(): Promise<Observed> {
    let epoch = 0;
    for (const name of await readdir(this.directory)) {
      const m = LEASE_NAME.exec(name);
      if (m) epoch = Math.max(epoch, Number(m[1]));
    }
    // A directory listing may be stale on NFS; names looked up one by one are not.
    while (await exists(join(this.directory, leaseFileName(epoch + 1)))) epoch++;
    if (epoch === 0) return { epoch, content: undefined, record: undefined };
    let content: string | undefined;
    try {
      content = await readFile(join(this.directory, leaseFileName(epoch)), 'utf8');
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    return { epoch, content, record: content === undefined ? undefined : parseRecord(content) };
  }

  /** Creates epoch `epoch`'s file; the lease when we won the race, undefined when another did. */
  private async tryCreate(epoch: number, reason: string, previous: LeaseRecord | undefined): Promise<Lease | undefined> {
    const me = hostIdentity();
    const record: LeaseRecord = {
      id: this.options.id,
      host: me.host,
      bootId: me.bootId,
      pidNamespace: me.pidNamespace,
      pid: process.pid,
      broker: this.options.broker,
      listeners: [...this.options.listeners],
      epoch,
      released: false,
      leaseMs: this.options.lease,
      renewals: 0,
      written: new Date().toISOString(),
    };
    const target = join(this.directory, leaseFileName(epoch));
    const temp = `${target}.${this.options.id}.tmp`;
    await writeDurably(temp, encodeRecord(record));
    // Counted from before the link: a standby cannot have seen the file earlier than this.
    const startedAt = performance.now();
    let won: boolean;
    try {
      await link(temp, target);
      won = true;
    } catch (e) {
      // NFS may report a retransmitted link() as failed although it happened: the link count tells.
      won = errnoCode(e) !== 'EEXIST' && (await stat(temp).then((st) => st.nlink === 2, () => false));
      if (!won && errnoCode(e) !== 'EEXIST') throw e;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    if (!won) return undefined;
    heldInThisProcess.add(record.id);
    this.log.info({ epoch, reason, previous: previous === undefined ? undefined : describeHolder(previous) }, 'took the master lock');
    void this.removeOldEpochs(epoch);
    let current = record;
    return new RenewingLease(
      record.id,
      epoch,
      this.options,
      {
        renew: async () => {
          if (await exists(join(this.directory, leaseFileName(epoch + 1)))) return false;
          current = { ...current, renewals: current.renewals + 1, written: new Date().toISOString() };
          await rewriteInPlace(target, encodeRecord(current));
          return true;
        },
        release: async () => {
          if (await exists(join(this.directory, leaseFileName(epoch + 1)))) return;
          current = { ...current, released: true, written: new Date().toISOString() };
          await rewriteInPlace(target, encodeRecord(current));
        },
        ended: () => heldInThisProcess.delete(record.id),
      },
      startedAt,
      this.log,
    );
  }

  private async removeOldEpochs(epoch: number): Promise<void> {
    try {
      for (const name of await readdir(this.directory)) {
        const m = LEASE_NAME.exec(name);
        if (m && Number(m[1]) <= epoch - EPOCHS_KEPT) await unlink(join(this.directory, name)).catch(() => undefined);
      }
    } catch (err) {
      this.log.debug({ err }, 'could not clean up old lease files');
    }
  }
}

export function describeHolder(h: Pick<LockHolder, 'pid' | 'host' | 'broker'>): string {
  return `broker ${h.broker || '?'} (pid ${h.pid} on ${h.host || '?'})`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw e;
  }
}

async function writeDurably(path: string, data: Buffer): Promise<void> {
  await writeFile(path, data);
  const fh = await open(path, 'r');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Overwrites the file from offset 0 and cuts it to `data`'s length, then syncs (the renewal is visible to other hosts at close). */
async function rewriteInPlace(path: string, data: Buffer): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(data, 0, data.length, 0);
    await fh.truncate(data.length);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
