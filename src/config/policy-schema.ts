/**
 * The `policies:` list: per-destination settings selected by an ActiveMQ-style wildcard pattern.
 * Every key but `match` is optional and stays absent when not written, so the core can merge all
 * matching entries key by key (file order, later wins) over DEFAULT_POLICY.
 */
import * as D from './defaults.js';
import {
  bool,
  decimal,
  duration,
  formatDuration,
  int,
  list,
  object,
  oneOf,
  optional,
  size,
  string,
} from './schema-dsl.js';

/** Which kinds of destination a policy applies to, and the wildcard pattern over their names. */
export interface PolicyMatch {
  readonly kinds: readonly ('queue' | 'topic')[];
  /** `.`-separated elements; `*` is exactly one element, `>` one or more trailing elements. */
  readonly pattern: string;
}

const KIND_PREFIXES = { 'queue://': ['queue'], 'topic://': ['topic'] } as const;
const BOTH_KINDS = ['queue', 'topic'] as const;

/**
 * `queue://orders.>`, `topic://prices.*`, or a bare `orders.>` (both kinds). Returns a problem
 * (a string) for anything else; used by the schema, and by the core to compile the pattern.
 */
export function parsePolicyMatch(match: string): PolicyMatch | string {
  if (match.startsWith('/')) return `write queue://NAME or topic://NAME, not a STOMP path like "${match}"`;
  let kinds: readonly ('queue' | 'topic')[] = BOTH_KINDS;
  let pattern = match;
  const scheme = /^([a-z+-]*):\/\//i.exec(match);
  if (scheme) {
    const prefix = scheme[0].toLowerCase();
    if (!Object.hasOwn(KIND_PREFIXES, prefix)) {
      return `unknown destination kind "${scheme[1] ?? ''}" (expected queue://, topic://, or a bare pattern for both)`;
    }
    kinds = KIND_PREFIXES[prefix as keyof typeof KIND_PREFIXES];
    pattern = match.slice(prefix.length);
  }
  if (pattern === '') return `no destination pattern after "${match}"`;
  if (pattern.includes(',')) return `a composite destination cannot be a pattern: write one entry per pattern ("${pattern}")`;
  const elements = pattern.split('.');
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i] as string;
    if (element === '') return `empty name element in "${pattern}" (a leading, trailing or doubled ".")`;
    if ((element.includes('*') && element !== '*') || (element.includes('>') && element !== '>')) {
      return `wildcards must be whole name elements ("${element}" in "${pattern}"): write a.*.c or a.>`;
    }
    if (element === '>' && i !== elements.length - 1) return `">" must be the last element of "${pattern}"`;
  }
  return { kinds, pattern };
}

/** A plain queue name or prefix: wildcards and commas would make a pattern or a composite. */
function plainName(value: string): string | undefined {
  if (/[*>,]/.test(value)) return `must be a plain queue name, without wildcards (* >) or commas: "${value}"`;
  if (value.includes('://')) return `write the queue name only, without a queue:// prefix: "${value}"`;
  return undefined;
}

const builtIn = (text: string | number | boolean): string => ` Built-in: \`${String(text)}\`.`;
/** `0` reads better than `0ms` in the table. */
const ms = (value: number): string => (value === 0 ? '0' : formatDuration(value));

export const policySchema = object(
  {
    match: string({
      default: '',
      required: true,
      typeName: 'pattern',
      validate: (v) => {
        const parsed = parsePolicyMatch(v);
        return typeof parsed === 'string' ? parsed : undefined;
      },
      description:
        'Destinations this entry applies to: `queue://PATTERN`, `topic://PATTERN`, or a bare PATTERN for both; wildcards `*` (one element) and `>` (the rest, last only).',
    }),
    prefetch: optional(
      int({
        default: 0,
        min: 0,
        max: 1_000_000,
        description: 'Default prefetch of subscriptions here. Built-in: `destinations.queuePrefetch` / `topicPrefetch`.',
      }),
    ),
    memoryLimit: optional(
      size({
        default: 0,
        min: D.MIN_EXPLICIT_LIMIT,
        description: 'Message data in RAM for one destination; `limits.memory` still applies broker-wide. Built-in: none.',
      }),
    ),
    prioritizedMessages: optional(
      bool({
        default: D.DEFAULT_PRIORITIZED_MESSAGES,
        description: 'Queues dispatch higher JMSPriority first.' + builtIn(D.DEFAULT_PRIORITIZED_MESSAGES),
      }),
    ),
    deadLetter: optional(
      oneOf(['shared', 'individual', 'discard'], {
        default: D.DEFAULT_DEAD_LETTER,
        description:
          'Where a message goes after maxRedeliveries: `shared` = deadLetterQueue, `individual` = deadLetterPrefix + its destination name (`DLQ.orders.eu`), `discard` = dropped (and counted).' +
          builtIn(D.DEFAULT_DEAD_LETTER),
      }),
    ),
    deadLetterQueue: optional(
      string({
        default: D.DEFAULT_DEAD_LETTER_QUEUE,
        typeName: 'queue name',
        validate: plainName,
        description: 'Dead-letter queue of the `shared` strategy.' + builtIn(D.DEFAULT_DEAD_LETTER_QUEUE),
      }),
    ),
    deadLetterPrefix: optional(
      string({
        default: D.DEFAULT_DEAD_LETTER_PREFIX,
        validate: plainName,
        description: 'Prefix of the per-destination dead-letter queue of the `individual` strategy.' + builtIn(D.DEFAULT_DEAD_LETTER_PREFIX),
      }),
    ),
    maxRedeliveries: optional(
      int({
        default: D.DEFAULT_MAX_REDELIVERIES,
        min: -1,
        description: 'Redeliveries before dead-lettering; `-1` = redeliver forever.' + builtIn(D.DEFAULT_MAX_REDELIVERIES),
      }),
    ),
    redeliveryDelay: optional(
      duration({
        default: D.DEFAULT_REDELIVERY_DELAY,
        description: 'Wait before the first redelivery; `0` = at once.' + builtIn(ms(D.DEFAULT_REDELIVERY_DELAY)),
      }),
    ),
    redeliveryBackoffMultiplier: optional(
      decimal({
        default: D.DEFAULT_REDELIVERY_BACKOFF_MULTIPLIER,
        min: 1,
        description:
          'Each further redelivery waits this many times longer (`1` = constant; decimals allowed); only when redeliveryDelay > 0.' +
          builtIn(D.DEFAULT_REDELIVERY_BACKOFF_MULTIPLIER),
      }),
    ),
    maxRedeliveryDelay: optional(
      duration({
        default: D.DEFAULT_MAX_REDELIVERY_DELAY,
        description: 'Cap on the growing redelivery delay.' + builtIn(ms(D.DEFAULT_MAX_REDELIVERY_DELAY)),
      }),
    ),
    expiredToDeadLetter: optional(
      bool({
        default: D.DEFAULT_EXPIRED_TO_DEAD_LETTER,
        description: 'Dead-letter expired messages instead of dropping them (ActiveMQ `processExpired`).' + builtIn(D.DEFAULT_EXPIRED_TO_DEAD_LETTER),
      }),
    ),
    sendFailIfNoSpace: optional(
      bool({
        default: D.DEFAULT_SEND_FAIL_IF_NO_SPACE,
        description: 'At the store/temp limit, fail sends at once instead of making producers wait.' + builtIn(D.DEFAULT_SEND_FAIL_IF_NO_SPACE),
      }),
    ),
    sendFailIfNoSpaceAfterTimeout: optional(
      duration({
        default: D.DEFAULT_SEND_FAIL_IF_NO_SPACE_AFTER_TIMEOUT,
        description:
          'At the store/temp limit, wait this long for space, then fail the send; `0` = wait without a deadline.' +
          builtIn(ms(D.DEFAULT_SEND_FAIL_IF_NO_SPACE_AFTER_TIMEOUT)),
      }),
    ),
    pendingMessageLimit: optional(
      int({
        default: D.DEFAULT_PENDING_MESSAGE_LIMIT,
        min: 0,
        description:
          'Most messages waiting for one non-durable topic subscriber beyond its prefetch; older ones are dropped and counted.' +
          builtIn(D.DEFAULT_PENDING_MESSAGE_LIMIT),
      }),
    ),
  },
  { description: 'One destination policy.' },
);

export const policiesSchema = list(policySchema, {
  default: [],
  defaultText: '[]',
  description:
    'Per-destination policies, see "Destination policies". Every entry whose `match` fits applies, in file order; later entries override earlier ones key by key.',
});

