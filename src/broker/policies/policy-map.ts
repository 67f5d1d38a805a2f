/**
 * Per-destination policies: every `policies` entry whose `match` covers a destination applies, in
 * file order, later entries overriding earlier ones key by key, over the built-in defaults.
 * Resolved once per destination and cached (destinations are long-lived; policies are static).
 */
import type { DestinationPolicy } from '../../config/types.js';
import { DEFAULT_POLICY, type PolicyDefaults } from '../../config/defaults.js';
import { NamePattern } from '../destinations/names.js';
import type { Destination } from '../message.js';

export interface ResolvedPolicy extends PolicyDefaults {
  /** Subscription prefetch default; undefined = the broker-wide queue/topic default. */
  readonly prefetch: number | undefined;
  /** Per-destination memory limit in bytes; undefined = only the broker-wide limit. */
  readonly memoryLimit: number | undefined;
}

interface CompiledPolicy {
  readonly kind: 'queue' | 'topic' | undefined;
  readonly pattern: NamePattern;
  readonly policy: DestinationPolicy;
}

function compile(p: DestinationPolicy): CompiledPolicy {
  const m = p.match;
  if (m.startsWith('queue://')) return { kind: 'queue', pattern: new NamePattern(m.slice(8)), policy: p };
  if (m.startsWith('topic://')) return { kind: 'topic', pattern: new NamePattern(m.slice(8)), policy: p };
  return { kind: undefined, pattern: new NamePattern(m), policy: p };
}

/** `>` as a pattern matches one or more elements; as a whole policy match it means "everything". */
function covers(c: CompiledPolicy, name: string): boolean {
  return c.pattern.text === '>' || c.pattern.matches(name);
}

export class PolicyMap {
  private readonly compiled: CompiledPolicy[];
  private readonly cache = new Map<string, ResolvedPolicy>();

  constructor(policies: readonly DestinationPolicy[]) {
    this.compiled = policies.map(compile);
  }

  /** The policy of a queue or topic (temporary destinations use their kind's policies). */
  resolve(d: Destination): ResolvedPolicy {
    const kind = d.kind === 'queue' || d.kind === 'temp-queue' ? 'queue' : 'topic';
    const key = `${kind}://${d.name}`;
    let r = this.cache.get(key);
    if (r) return r;
    const merged: Record<string, unknown> = { ...DEFAULT_POLICY, prefetch: undefined, memoryLimit: undefined };
    for (const c of this.compiled) {
      if ((c.kind !== undefined && c.kind !== kind) || !covers(c, d.name)) continue;
      for (const [k, v] of Object.entries(c.policy)) if (k !== 'match' && v !== undefined) merged[k] = v;
    }
    r = Object.freeze(merged) as unknown as ResolvedPolicy;
    this.cache.set(key, r);
    return r;
  }
}

/** Delay before redelivery number `n` (1-based): initial × multiplier^(n-1), capped. */
export function redeliveryDelay(p: ResolvedPolicy, n: number): number {
  if (p.redeliveryDelay <= 0) return 0;
  const d = p.redeliveryDelay * Math.pow(Math.max(1, p.redeliveryBackoffMultiplier), Math.max(0, n - 1));
  return Math.min(d, p.maxRedeliveryDelay);
}

/** The dead-letter queue name for a message from `origin`, or undefined to discard. */
export function deadLetterQueueName(p: ResolvedPolicy, origin: Destination): string | undefined {
  switch (p.deadLetter) {
    case 'discard':
      return undefined;
    case 'individual':
      return p.deadLetterPrefix + origin.name;
    default:
      return p.deadLetterQueue;
  }
}
