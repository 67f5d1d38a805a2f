/**
 * Which machine and process namespace we run in, so a standby can tell "the lock holder runs next
 * to me and its process is gone" (take over at once) from "it runs elsewhere" (wait for the lease).
 * A pid means something only on the same host, the same boot and the same pid namespace.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

export interface HostIdentity {
  readonly host: string;
  /** Linux boot id: a rebooted host reuses pids. '' when unknown. */
  readonly bootId: string;
  /** The pid namespace (containers have their own pids). '' when unknown. */
  readonly pidNamespace: string;
}

function readOr(fn: () => string): string {
  try {
    return fn().trim();
  } catch {
    return '';
  }
}

let cached: HostIdentity | undefined;

export function hostIdentity(): HostIdentity {
  cached ??= {
    host: hostname(),
    bootId: readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidNamespace: readOr(() => readlinkSync('/proc/self/ns/pid')),
  };
  return cached;
}

/** True when `other` is this host, this boot and this pid namespace (pids compare). */
export function sameProcessSpace(other: Partial<HostIdentity>): boolean {
  const me = hostIdentity();
  return other.host === me.host && me.bootId !== '' && other.bootId === me.bootId && other.pidNamespace === me.pidNamespace;
}

export { isProcessAlive } from '../util/process-alive.js';
