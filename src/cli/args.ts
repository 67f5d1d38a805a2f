/**
 * Command line parsing (node:util parseArgs), usage text and exit codes. Exit codes follow the
 * LSB init-script convention for status (3 = not running) and sysexits.h for usage and config.
 */
import { readFileSync } from 'node:fs';
import { clientOptionsGiven, parseClientCommand, type ClientCommandOptions } from './client-args.js';
import { parseStrict } from './parse-options.js';
import { parseTlsCommand, type TlsCommand } from './tls-args.js';

export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  /** LSB: program is not running (status, stop). */
  NOT_RUNNING: 3,
  /** sysexits.h EX_USAGE: bad command line. */
  USAGE: 64,
  /** sysexits.h EX_SOFTWARE: an internal error escaped. */
  SOFTWARE: 70,
  /** sysexits.h EX_CONFIG: the configuration is invalid or unreadable. */
  CONFIG: 78,
} as const;

export const COMMANDS = ['start', 'stop', 'status', 'check-config', 'send', 'consume', 'tls'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliOptions {
  readonly config?: string | undefined;
  readonly data?: string | undefined;
  /** `--listen URI` (repeatable): replaces the config's listeners. */
  readonly listen?: readonly string[] | undefined;
}

export type ParsedCommandLine =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'usage-error'; readonly message: string }
  | { readonly kind: 'command'; readonly command: Command; readonly options: CliOptions; readonly file?: string; readonly client?: ClientCommandOptions; readonly tls?: TlsCommand };

export const USAGE = `Usage: ferrymq <command> [options]

Commands:
  start [--config FILE] [--data DIR] [--listen URI]...
                        run the broker in the foreground (SIGTERM/SIGINT stop it); in standby
                        while another broker holds the data directory's (or database's) lock
  stop [--config FILE] [--data DIR] [--listen URI]...
                        stop the broker(s) started with these listeners; wait up to 10 s
  status [--config FILE] [--data DIR] [--listen URI]...
                        role of the broker started with these listeners (exit 0) or "not running"
                        (exit 3), and every other broker on the data directory
  check-config FILE     validate FILE and print "FILE: OK" or every problem (exit 78)
  send [--uri URI] DESTINATION [--count N] [--persistent] [--body TEXT | --file PATH] [--lines] [--header K=V]...
                        send messages; the body comes from --body, --file or stdin
  consume [--uri URI] DESTINATION [--count N] [--json] [--ack auto|client] [--selector S] [--timeout MS]
                        print messages one per line (or as JSON) and ack them
  tls init [--dir certs] [--days 3650] [--rsa] [--force]
                        create a private CA (ca.pem, ca.key) for the brokers and clients
  tls issue NAME [--dir certs] [--client] [--san HOST,IP,...] [--days 825] [--rsa] [--force]
                        issue NAME.pem and NAME.key signed by that CA and print the tls: config

Options:
  -c, --config FILE   YAML config file (default: built-in defaults)
  -d, --data DIR      data directory; overrides broker.dataDirectory and FERRYMQ_DATA
  -l, --listen URI    listener URI (repeatable); replaces the config's listeners, e.g.
                      --listen stomp://0.0.0.0:61623 for a second broker on the same data directory
  --uri URI           send/consume: broker or failover URI (default stomp://localhost:61613),
                      e.g. failover:(stomp://a:61613,stomp://b:61613)?randomize=false
  -h, --help          show this help
  -V, --version       print the version

Environment: FERRYMQ_DATA, FERRYMQ_LOG_LEVEL, FERRYMQ_BROKER_NAME override the config file.
See docs/cli.md and docs/configuration.md.
`;

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  // `tls` has options of its own (see tls-args.ts): everything after it is parsed there.
  if (argv[0] === 'tls') {
    const tls = parseTlsCommand(argv.slice(1));
    if (tls === 'help') return { kind: 'help' };
    if (typeof tls === 'string') return { kind: 'usage-error', message: tls };
    return { kind: 'command', command: 'tls', options: {}, tls };
  }
  const parsed = parseStrict(argv, {
    config: { type: 'string', short: 'c' },
    data: { type: 'string', short: 'd' },
    listen: { type: 'string', short: 'l', multiple: true },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
    // send and consume (checked in client-args.ts)
    uri: { type: 'string' },
    count: { type: 'string' },
    persistent: { type: 'boolean' },
    body: { type: 'string' },
    file: { type: 'string' },
    lines: { type: 'boolean' },
    header: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    ack: { type: 'string' },
    selector: { type: 'string' },
    timeout: { type: 'string' },
  });
  if (typeof parsed === 'string') return { kind: 'usage-error', message: parsed };
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [name, ...rest] = positionals;
  if (name === undefined) return { kind: 'usage-error', message: 'missing command' };
  if (!(COMMANDS as readonly string[]).includes(name)) {
    return { kind: 'usage-error', message: `unknown command "${name}" (expected ${COMMANDS.join(', ')})` };
  }
  const command = name as Command;
  const options: CliOptions = { config: values.config, data: values.data, listen: values.listen };
  if (command === 'send' || command === 'consume') {
    const client = parseClientCommand(command, values, rest);
    if (typeof client === 'string') return { kind: 'usage-error', message: client };
    return { kind: 'command', command, options, client };
  }
  const clientOnly = clientOptionsGiven(values);
  if (clientOnly.length > 0) return { kind: 'usage-error', message: `${clientOnly[0]} is an option of send and consume, not ${command}` };
  if (command === 'tls') return { kind: 'usage-error', message: 'give tls first: ferrymq tls init|issue [options]' };
  if (command === 'check-config') {
    const file = rest[0] ?? values.config;
    if (file === undefined) return { kind: 'usage-error', message: 'check-config needs a FILE' };
    if (rest.length > 1 || (rest.length === 1 && values.config !== undefined)) {
      return { kind: 'usage-error', message: 'check-config takes exactly one FILE' };
    }
    return { kind: 'command', command, options, file };
  }
  if (rest.length > 0) return { kind: 'usage-error', message: `unexpected argument "${rest[0]}" for ${command}` };
  return { kind: 'command', command, options };
}

/** The package version, read from package.json next to dist/ (works from a checkout and when installed). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
