/**
 * `ferrymq start`: run the broker in the foreground until SIGTERM or SIGINT. Order matters:
 * claim the pid file first (so a second start on the same data directory fails before touching
 * the store), then start; on the first signal stop cleanly (in-flight commits finish, store
 * closes), release the pid file, exit 0; a second signal exits at once.
 */
import type { RunningBroker } from '../index.js';
import { createLogger, type FerryLogger } from '../log.js';
import { ExitCode, type CliOptions } from './args.js';
import { resolveCliConfig } from './cli-config.js';
import { formatAddress } from './control.js';
import { claimPidFile, pidFilePath, releasePidFile } from './pid-file.js';

/** Loaded lazily: stop, status and check-config must not pay for the broker code. */
async function loadCreateBroker(): Promise<typeof import('../index.js').createBroker> {
  return (await import('../index.js')).createBroker;
}

export async function runStart(options: CliOptions): Promise<number> {
  const outcome = resolveCliConfig(options);
  if (!outcome.ok) return outcome.exitCode;
  const config = outcome.config;
  const dataDirectory = config.broker.dataDirectory;
  const pidFile = pidFilePath(dataDirectory);

  let claim;
  try {
    claim = claimPidFile(pidFile, dataDirectory);
  } catch (e) {
    console.error(`ferrymq: cannot write pid file ${pidFile}: ${(e as Error).message}`);
    return ExitCode.FAILURE;
  }
  if (!claim.ok) {
    console.error(`ferrymq: already running (pid ${claim.runningPid}, pid file ${pidFile}); stop it first`);
    return ExitCode.FAILURE;
  }

  let log: FerryLogger;
  try {
    log = createLogger(config);
  } catch (e) {
    releasePidFile(pidFile);
    console.error(`ferrymq: cannot open log: ${(e as Error).message}`);
    return ExitCode.FAILURE;
  }
  const logger = log.logger.child({ component: 'cli' });
  if (claim.replacedStalePid !== undefined) logger.warn({ pidFile, stalePid: claim.replacedStalePid }, 'replaced stale pid file');

  return new Promise<number>((resolveExit) => {
    let broker: RunningBroker | undefined;
    let stopping = false;

    const finish = (code: number): void => {
      releasePidFile(pidFile);
      void log.close().then(() => resolveExit(code));
    };
    const stopBroker = (): void => {
      if (!broker) return; // still starting: the start path sees `stopping` and stops
      broker.stop().then(
        () => {
          logger.info('stopped');
          finish(ExitCode.OK);
        },
        (e: unknown) => {
          logger.error({ err: e }, 'error while stopping');
          finish(ExitCode.FAILURE);
        },
      );
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // Second signal: the operator wants out now. Leave no pid file behind.
        logger.warn({ signal }, 'second signal: exiting without a clean stop');
        log.flush();
        releasePidFile(pidFile);
        process.exit(ExitCode.FAILURE);
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      stopBroker();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    loadCreateBroker()
      .then((createBroker) => createBroker(config, { logger: log.logger }))
      .then(
        (running) => {
          broker = running;
          for (const l of running.listeners) console.log(`listening ${l.scheme} on ${formatAddress(l.host, l.port)}`);
          logger.info({ pidFile, config: config.source ?? 'defaults' }, 'started');
          if (stopping) stopBroker();
        },
        (e: unknown) => {
          logger.fatal({ err: e }, 'failed to start');
          console.error(`ferrymq: failed to start: ${(e as Error).message ?? String(e)}`);
          finish(ExitCode.FAILURE);
        },
      );
  });
}
