/** Test helpers: a real broker on free ports with a temp data directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createBroker, defaultConfig, type RunningBroker } from '../../src/index.js';
import type { ConfigOverrides } from '../../src/config/load.js';
import { RawStomp } from './stomp-client.js';

export interface TestBroker {
  readonly broker: RunningBroker;
  /** STOMP over TCP port. */
  readonly port: number;
  /** STOMP over WebSocket port. */
  readonly wsPort: number;
  readonly dataDir: string;
  /** Stops the broker; removes the data directory unless keepData. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startTestBroker(overrides: ConfigOverrides = {}, dataDir?: string): Promise<TestBroker> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'ferrymq-test-'));
  const config = defaultConfig({
    listeners: [{ uri: 'stomp://127.0.0.1:0' }, { uri: 'ws://127.0.0.1:0' }],
    ...overrides,
    broker: { dataDirectory: dir, ...overrides.broker },
    store: { type: 'journal', ...overrides.store, journal: { sync: false, ...overrides.store?.journal } },
    logging: { level: 'silent', file: false, stdout: false, ...overrides.logging },
  });
  const logger = pino({ level: process.env['FERRYMQ_TEST_LOG'] ?? 'silent' });
  const broker = await createBroker(config, { logger });
  const port = broker.listeners.find((l) => l.scheme === 'stomp')?.port ?? 0;
  const wsPort = broker.listeners.find((l) => l.scheme === 'ws')?.port ?? 0;
  return {
    broker,
    port,
    wsPort,
    dataDir: dir,
    async stop(opts) {
      await broker.stop();
      if (!opts?.keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a `withBroker` scenario gets: the running broker and a way to open tracked clients. */
export interface BrokerScenario {
  /** The broker now running (replaced by restart()). */
  tb: TestBroker;
  /** Opens and CONNECTs a raw STOMP client that is closed when the scenario ends. */
  connect(headers?: Record<string, string>): Promise<RawStomp>;
  /** Closes every client, stops the broker keeping its data, and starts it again on the same data. */
  restart(): Promise<void>;
}

/**
 * Runs `fn` against a fresh broker and always cleans up: every client opened through the scenario
 * is closed, the broker is stopped and its data directory removed, even when `fn` throws.
 */
export async function withBroker(fn: (s: BrokerScenario) => Promise<void>, overrides: ConfigOverrides = {}): Promise<void> {
  const clients: RawStomp[] = [];
  const closeClients = (): void => {
    for (const c of clients.splice(0)) c.close();
  };
  const scenario: BrokerScenario = {
    tb: await startTestBroker(overrides),
    async connect(headers = {}) {
      const c = await RawStomp.connect(scenario.tb.port, headers);
      clients.push(c);
      return c;
    },
    async restart() {
      closeClients();
      const dir = scenario.tb.dataDir;
      await scenario.tb.stop({ keepData: true });
      scenario.tb = await startTestBroker(overrides, dir);
    },
  };
  try {
    await fn(scenario);
  } finally {
    closeClients();
    await scenario.tb.stop();
  }
}
