/**
 * The FerryMQ broker under test, run as a child process so it has its own core and event loop:
 *
 *   node dist/bench/broker-child.js --data DIR [--no-sync] [--memory BYTES] [--info-log FILE]
 *                                   [--store postgres|mysql --url URL] [--openwire]
 *
 * One STOMP listener on 127.0.0.1, a free port; journal store in DIR with fsync per group commit
 * (the brief's persistent scenario; non-persistent messages never touch the journal), or with
 * `--store` a SQL store at URL (the database's own durability settings apply). Prints one
 * JSON line `{"port":N,"pid":N}` on stdout once listening. Stops cleanly on SIGTERM or SIGINT, or
 * when stdin closes (the bench that started it is gone), so `--cpu-prof` profiles get written.
 * `--memory` sets `limits.memory` (default: auto). `--info-log` also writes the broker's
 * info-level JSON log to FILE (the backlog scenario reads 'store recovered' from it); warnings
 * still go to stderr. `--openwire` adds an OpenWire listener (tcp://127.0.0.1, a free port) and
 * `"openwirePort":N` to the JSON line.
 */
import { createBroker, defaultConfig } from '../src/index.js';
import type { ConfigOverrides } from '../src/config/load.js';
import pino from 'pino';

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function memoryLimit(): number | undefined {
  const text = argValue('--memory');
  if (text === undefined) return undefined;
  const bytes = Number(text);
  if (!Number.isInteger(bytes) || bytes <= 0) {
    console.error(`broker-child: --memory must be a positive number of bytes, got ${text}`);
    process.exit(2);
  }
  return bytes;
}

/** Warnings and errors to stderr, which the bench passes through: a broker complaint is visible. */
function makeLogger(infoLog: string | undefined): pino.Logger {
  if (infoLog === undefined) return pino({ level: 'warn' }, pino.destination(2));
  return pino(
    { level: 'info' },
    pino.multistream([
      { level: 'warn', stream: pino.destination(2) },
      { level: 'info', stream: pino.destination({ dest: infoLog, sync: true }) },
    ]),
  );
}

/** `--store postgres|mysql --url URL`: the SQL store's config section; the journal otherwise. */
function storeConfig(): ConfigOverrides['store'] {
  const type = argValue('--store');
  if (type === undefined) return { type: 'journal', journal: { sync: !process.argv.includes('--no-sync') } };
  const url = argValue('--url');
  if ((type !== 'postgres' && type !== 'mysql') || url === undefined) {
    console.error(`broker-child: --store must be postgres or mysql, with --url URL (got ${type}, ${url})`);
    process.exit(2);
  }
  return { type, url };
}

async function main(): Promise<void> {
  const dataDirectory = argValue('--data');
  if (dataDirectory === undefined) {
    console.error('broker-child: --data DIR is required');
    process.exit(2);
  }
  const memory = memoryLimit();
  const store = storeConfig();
  const config = defaultConfig({
    listeners: [{ uri: 'stomp://127.0.0.1:0' }, ...(process.argv.includes('--openwire') ? [{ uri: 'tcp://127.0.0.1:0' }] : [])],
    broker: { name: 'bench', dataDirectory },
    // `ha` at its defaults: the journal takes its file lock, a SQL store its database lock (every
    // write transaction then checks the lock row), as a broker started with this store would.
    store,
    logging: { level: 'warn', file: false, stdout: false },
    ...(memory === undefined ? {} : { limits: { memory } }),
  });
  const logger = makeLogger(argValue('--info-log'));
  const broker = await createBroker(config, { logger });
  const port = broker.listeners.find((l) => l.scheme === 'stomp')?.port;
  const openwirePort = broker.listeners.find((l) => l.scheme === 'openwire')?.port;
  process.stdout.write(JSON.stringify({ port, pid: process.pid, openwirePort }) + '\n');

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    broker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('broker-child: stop failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

main().catch((err: unknown) => {
  console.error('broker-child: failed to start', err);
  process.exit(1);
});
