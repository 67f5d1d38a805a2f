#!/usr/bin/env node
/**
 * The `ferrymq` command: parse argv, run one command, exit with its code. See docs/cli.md.
 */
import { ExitCode, USAGE, packageVersion, parseCommandLine } from './args.js';
import { runCheckConfig, runStatus, runStop } from './control.js';
import { runStart } from './start.js';
import { runConsume } from './consume.js';
import { runSend } from './send.js';
import { runTls } from './tls.js';

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return ExitCode.OK;
    case 'version':
      console.log(`ferrymq ${packageVersion()}`);
      return ExitCode.OK;
    case 'usage-error':
      console.error(`ferrymq: ${parsed.message}\n`);
      process.stderr.write(USAGE);
      return ExitCode.USAGE;
    case 'command':
      switch (parsed.command) {
        case 'start':
          return runStart(parsed.options);
        case 'stop':
          return runStop(parsed.options);
        case 'status':
          return runStatus(parsed.options);
        case 'check-config':
          return runCheckConfig(parsed.file ?? '');
        case 'send':
        case 'consume':
          if (parsed.client === undefined) return ExitCode.SOFTWARE;
          return parsed.command === 'send' ? runSend(parsed.client) : runConsume(parsed.client);
        case 'tls':
          return parsed.tls === undefined ? ExitCode.SOFTWARE : runTls(parsed.tls);
      }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error('ferrymq: internal error:', e);
    process.exit(ExitCode.SOFTWARE);
  },
);
