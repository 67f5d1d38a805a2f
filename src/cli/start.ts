/**
 * `ferrymq start`: run the broker in the foreground until SIGTERM or SIGINT. It registers itself in
 * `<data>/brokers/` (see instances.ts) so stop and status find it among the brokers sharing the
 * data directory, then starts: as master at once, or in standby while another broker holds the
 * store's lock (`ha:`), taking over when that one stops or dies. Role changes are printed (stdout)
 * and logged. On the first signal it stops cleanly (in-flight commits finish, the store closes,
 * the lock is released), exit 0; a second signal exits at once.
 */
import type { BrokerNode, RoleChange } from '../index.js';
import { createLogger, type FerryLogger } from '../log.js';
import { describeHolder } from '../ha/file-lease-lock.js';
import { ExitCode, type CliOptions } from './args.js';
import { resolveCliConfig } from './cli-config.js';
import { newInstanceRecord, removeInstanceRecord, writeInstanceRecord, type InstanceRecord } from './instances.js';

/** Loaded lazily: stop, status and check-config must not pay for the broker code. */
async function loadStartBroker(): Promise<typeof import('../index.js').startBroker> {
  return (await import('../index.js')).startBroker;
}

export async function runStart(options: CliOptions): Promise<number> {
  const outcome = resolveCliConfig(options);
  if (!outcome.ok) return outcome.exitCode;
  const config = outcome.config;
  const dataDirectory = config.broker.dataDirectory;

  let record: InstanceRecord = newInstanceRecord(config.source ?? null, config.listeners.map((l) => l.uri));
  const update = (change: Partial<InstanceRecord>): void => {
    record = { ...record, ...change };
    try {
      writeInstanceRecord(dataDirectory, record);
    } catch {
      // Status is informational: a read-only moment must not stop the broker.
    }
  };
  try {
    writeInstanceRecord(dataDirectory, record);
  } catch (e) {
    console.error(`ferrymq: cannot write to the data directory ${dataDirectory}: ${(e as Error).message}`);
    return ExitCode.FAILURE;
  }

  let log: FerryLogger;
  try {
    log = createLogger(config);
  } catch (e) {
    removeInstanceRecord(dataDirectory);
    console.error(`ferrymq: cannot open log: ${(e as Error).message}`);
    return ExitCode.FAILURE;
  }
  const logger = log.logger.child({ component: 'cli' });

  const onRole = (change: RoleChange): void => {
    const now = new Date().toISOString();
    switch (change.role) {
      case 'standby':
        if (change.holder !== undefined) {
          const holder = describeHolder(change.holder);
          console.log(`standby: the master lock is held by ${holder}; waiting to take over`);
          update({ role: 'standby', roleSince: now, holder, epoch: undefined, bound: undefined });
        } else update({ role: 'standby', roleSince: now, holder: undefined, epoch: undefined, bound: undefined });
        break;
      case 'master': {
        const bound = change.listening ?? [];
        for (const b of bound) console.log(`listening ${b}`);
        if (change.epoch !== undefined) console.log(`master (lock epoch ${change.epoch})`);
        update({ role: 'master', roleSince: now, epoch: change.epoch, holder: undefined, bound });
        break;
      }
      case 'stepping-down':
        console.log(`stepping down: ${change.reason ?? 'lost the master lock'}`);
        update({ role: change.role, roleSince: now, bound: undefined });
        break;
      default:
        update({ role: change.role, roleSince: now });
    }
  };

  return new Promise<number>((resolveExit) => {
    let node: BrokerNode | undefined;
    let stopping = false;
    let finished = false;

    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      removeInstanceRecord(dataDirectory);
      void log.close().then(() => resolveExit(code));
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // Second signal: the operator wants out now. Leave no record behind.
        logger.warn({ signal }, 'second signal: exiting without a clean stop');
        log.flush();
        removeInstanceRecord(dataDirectory);
        process.exit(ExitCode.FAILURE);
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      void node?.stop(); // still starting: the start path sees `stopping` and stops
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    loadStartBroker()
      .then((startBroker) => startBroker(config, { logger: log.logger, onRole }))
      .then(
        (started) => {
          node = started;
          logger.info({ config: config.source ?? 'defaults' }, 'started');
          if (stopping) void started.stop();
          started.done.then(
            () => {
              logger.info('stopped');
              finish(ExitCode.OK);
            },
            (e: unknown) => {
              logger.fatal({ err: e }, 'failed');
              console.error(`ferrymq: failed: ${(e as Error).message ?? String(e)}`);
              finish(ExitCode.FAILURE);
            },
          );
        },
        (e: unknown) => {
          logger.fatal({ err: e }, 'failed to start');
          console.error(`ferrymq: failed to start: ${(e as Error).message ?? String(e)}`);
          finish(ExitCode.FAILURE);
        },
      );
  });
}
