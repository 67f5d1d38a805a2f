/**
 * Command-line options of `ferrymq send` and `ferrymq consume` (the client commands), checked
 * here so args.ts only registers them. Problems come back as text for a usage error (exit 64).
 */

/** ActiveMQ's STOMP port on this machine: what a user trying the broker out runs. */
export const DEFAULT_CLIENT_URI = 'stomp://localhost:61613';

/** Options only the client commands take (any other command given one is a usage error). */
export const CLIENT_OPTIONS = ['uri', 'count', 'persistent', 'body', 'file', 'lines', 'header', 'json', 'ack', 'selector', 'timeout'] as const;
const SEND_ONLY = new Set(['persistent', 'body', 'file', 'lines', 'header']);
const CONSUME_ONLY = new Set(['json', 'ack', 'selector', 'timeout']);

export interface ClientCommandOptions {
  readonly uri: string;
  readonly destination: string;
  /** send: copies of the body (or, with --lines, most lines); consume: messages before exiting. */
  readonly count: number | undefined;
  readonly persistent: boolean;
  readonly body: string | undefined;
  readonly file: string | undefined;
  readonly lines: boolean;
  readonly headers: Readonly<Record<string, string>>;
  readonly json: boolean;
  readonly ack: 'auto' | 'client';
  readonly selector: string | undefined;
  /** consume: exit after this many ms without a message. */
  readonly timeout: number | undefined;
}

type Values = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** Options given on the command line that `command` does not take, as `--name` (for other commands' errors). */
export function clientOptionsGiven(values: Values): string[] {
  return CLIENT_OPTIONS.filter((o) => values[o] !== undefined).map((o) => `--${o}`);
}

export function parseClientCommand(command: 'send' | 'consume', values: Values, rest: readonly string[]): ClientCommandOptions | string {
  const wrong = CLIENT_OPTIONS.filter((o) => values[o] !== undefined && (command === 'send' ? CONSUME_ONLY : SEND_ONLY).has(o));
  if (wrong.length > 0) return `${command} does not take --${wrong[0]}`;
  if (values['config'] !== undefined || values['data'] !== undefined || values['listen'] !== undefined) {
    return `${command} does not take --config, --data or --listen (give --uri)`;
  }
  if (rest.length === 0) return `${command} needs a DESTINATION (e.g. /queue/orders)`;
  if (rest.length > 1) return `unexpected argument "${rest[1]}" for ${command} (one DESTINATION)`;
  const count = positiveInt(values['count'], '--count');
  if (typeof count === 'string') return count;
  const timeout = positiveInt(values['timeout'], '--timeout');
  if (typeof timeout === 'string') return timeout;
  if (values['body'] !== undefined && values['file'] !== undefined) return 'give --body or --file, not both';
  const ack = (values['ack'] as string | undefined) ?? 'client';
  if (ack !== 'auto' && ack !== 'client') return `--ack must be auto or client, not "${ack}"`;
  const headers: Record<string, string> = {};
  for (const h of (values['header'] as string[] | undefined) ?? []) {
    const eq = h.indexOf('=');
    if (eq <= 0) return `--header "${h}" is not KEY=VALUE`;
    headers[h.slice(0, eq)] = h.slice(eq + 1);
  }
  return {
    uri: (values['uri'] as string | undefined) ?? DEFAULT_CLIENT_URI,
    destination: rest[0] as string,
    count,
    persistent: values['persistent'] === true,
    body: values['body'] as string | undefined,
    file: values['file'] as string | undefined,
    lines: values['lines'] === true,
    headers,
    json: values['json'] === true,
    ack,
    selector: values['selector'] as string | undefined,
    timeout,
  };
}

function positiveInt(value: unknown, name: string): number | undefined | string {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(String(value)) ? Number(value) : NaN;
  if (!(Number.isSafeInteger(n) && n >= 1)) return `${name} must be a whole number of at least 1, not "${String(value)}"`;
  return n;
}
