/**
 * The config a CLI command runs with: the file (or the defaults), then the environment, then
 * `--data` and `--listen`: the more specific the source, the later it applies.
 */
import { resolve } from 'node:path';
import { checkTls, configFromEnv, loadConfigFile } from '../config/load.js';
import type { FerryConfig } from '../config/types.js';
import { isFerryError } from '../errors.js';
import { parseListenerUri } from '../transport/uri.js';
import { ExitCode, type CliOptions } from './args.js';

export type ConfigOutcome = { readonly ok: true; readonly config: FerryConfig } | { readonly ok: false; readonly exitCode: number };

export function resolveCliConfig(options: CliOptions, env: NodeJS.ProcessEnv = process.env): ConfigOutcome {
  let config: FerryConfig;
  try {
    config = options.config !== undefined ? loadConfigFile(options.config, env) : configFromEnv(env);
  } catch (e) {
    reportConfigError(e);
    return { ok: false, exitCode: ExitCode.CONFIG };
  }
  if (options.data !== undefined) {
    config = { ...config, broker: { ...config.broker, dataDirectory: resolve(options.data) } };
  }
  if (options.listen !== undefined && options.listen.length > 0) {
    const listeners = [];
    for (const uri of options.listen) {
      const parsed = parseListenerUri(uri, config);
      if (typeof parsed === 'string') {
        console.error(`ferrymq: --listen ${uri}: ${parsed}`);
        return { ok: false, exitCode: ExitCode.USAGE };
      }
      listeners.push(parsed);
    }
    // A TLS listener given here needs the config's certificate as much as one in the file.
    const problems = checkTls(config.tls, listeners);
    if (problems.length > 0) {
      for (const p of problems) console.error(`ferrymq: --listen: ${p.path}: ${p.problem}`);
      return { ok: false, exitCode: ExitCode.CONFIG };
    }
    config = { ...config, listeners };
  }
  return { ok: true, config };
}

/** Config problems go to stderr exactly as produced: one `file:line:col: path: problem` per line. */
export function reportConfigError(e: unknown): void {
  if (isFerryError(e)) console.error(e.message);
  else console.error(`ferrymq: ${String(e)}`);
}
