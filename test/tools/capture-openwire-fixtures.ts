/**
 * Captures OpenWire byte fixtures for the codec's byte-exact tests: ActiveMQ's real Java client
 * (the JmsShell) runs a workload against Debian's real ActiveMQ 5.17 broker through a recording
 * TCP proxy, and each scenario writes, in test/fixtures/openwire/:
 *
 *   <name>.c2s.bin   every byte the client sent on its one connection, in order
 *   <name>.s2c.bin   every byte the broker sent back
 *   <name>.json      the client URI and options, the steps (JmsShell commands) with their replies,
 *                    versions, and `chunks`: the TCP reads in arrival order (direction, offset,
 *                    length) so a replay can interleave the two streams as they happened
 *
 * Not run by CI (the fixtures are committed). Run: `npm run build && node
 * dist/test/tools/capture-openwire-fixtures.js [scenario ...]` (default: all).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startActiveMqBroker, type ActiveMqBroker } from '../helpers/activemq-broker.js';
import { JmsShell, type JmsCommand } from '../helpers/jms-shell.js';
import { fixtureSteps, XA_STEPS, KEEPALIVE_STEPS, type Step } from './openwire-fixture-workload.js';

interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Query of the client URI (wireFormat.*, jms.*). */
  readonly query: string;
  readonly xa?: boolean;
  readonly steps: readonly Step[];
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'default', description: "The client's defaults: OpenWire 12, tight encoding, cache on; the full workload.", query: '', steps: fixtureSteps() },
  {
    name: 'loose-nocache',
    description: 'Loose encoding, no marshal cache; the full workload.',
    query: 'wireFormat.tightEncodingEnabled=false&wireFormat.cacheEnabled=false',
    steps: fixtureSteps(),
  },
  { name: 'v6', description: 'OpenWire version 6 (the client asks for 6; the broker answers 12, the lower wins); the full workload.', query: 'wireFormat.version=6', steps: fixtureSteps() },
  { name: 'v9', description: 'OpenWire version 9; the full workload.', query: 'wireFormat.version=9', steps: fixtureSteps() },
  { name: 'compressed', description: 'jms.useCompression=true: message bodies deflated; the full workload.', query: 'jms.useCompression=true', steps: fixtureSteps() },
  {
    name: 'xa',
    description: 'An XA connection (every session is an XA session): two-phase commit, rollback, one-phase commit, recover, a consume inside an XA transaction, and an XAException (commit of an unknown xid) answered by an ExceptionResponse.',
    query: '',
    xa: true,
    steps: XA_STEPS,
  },
  {
    name: 'keepalive',
    description: "wireFormat.maxInactivityDuration=1000, the monitor from 100 ms on (sic InitalDelay, ActiveMQ's spelling): KeepAliveInfo both ways while the connection idles for 3.5 s.",
    query: 'wireFormat.maxInactivityDuration=1000&wireFormat.maxInactivityDurationInitalDelay=100',
    steps: KEEPALIVE_STEPS,
  },
];

/** The client id of every scenario's connection (durable subscriptions need one). */
const CLIENT_ID = 'fixture-client';

interface Chunk {
  readonly dir: 'c2s' | 's2c';
  readonly offset: number;
  readonly length: number;
}

interface Recording {
  readonly connections: number;
  readonly c2s: Buffer;
  readonly s2c: Buffer;
  readonly chunks: readonly Chunk[];
}

/** A proxy that records the bytes of every connection; `finish()` waits for them all to close. */
class RecordingProxy {
  private readonly c2s: Buffer[] = [];
  private readonly s2c: Buffer[] = [];
  private readonly chunks: Chunk[] = [];
  private sizes = { c2s: 0, s2c: 0 };
  private connections = 0;
  private readonly closing: Promise<void>[] = [];

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<RecordingProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('proxy has no address');
    const proxy = new RecordingProxy(server, address.port);
    server.on('connection', (client) => proxy.accept(client, targetPort));
    return proxy;
  }

  private record(dir: 'c2s' | 's2c', data: Buffer): void {
    (dir === 'c2s' ? this.c2s : this.s2c).push(Buffer.from(data));
    this.chunks.push({ dir, offset: this.sizes[dir], length: data.length });
    this.sizes[dir] += data.length;
  }

  private accept(client: net.Socket, port: number): void {
    this.connections++;
    const upstream = net.connect(port, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (d: Buffer) => {
      this.record('c2s', d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      this.record('s2c', d);
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    this.closing.push(
      Promise.all(
        [client, upstream].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.once('close', () => resolve());
              s.once('error', () => s.destroy());
            }),
        ),
      ).then(() => undefined),
    );
  }

  async finish(): Promise<Recording> {
    await Promise.all(this.closing);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    return { connections: this.connections, c2s: Buffer.concat(this.c2s), s2c: Buffer.concat(this.s2c), chunks: this.chunks };
  }
}

const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'openwire');

function packageVersion(name: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8' });
  } catch {
    return 'unknown';
  }
}

async function capture(broker: ActiveMqBroker, scenario: Scenario): Promise<void> {
  const proxy = await RecordingProxy.start(broker.openwirePort);
  const query = scenario.query === '' ? '' : `?${scenario.query}`;
  const url = `tcp://127.0.0.1:${proxy.port}${query}`;
  /** The URI as the fixture describes it: the proxy's port changes every run. */
  const clientUri = `tcp://127.0.0.1:<port>${query}`;
  const shell = await JmsShell.start();
  const steps: { command: JmsCommand; reply: Record<string, unknown> }[] = [];
  try {
    const all: readonly Step[] = [{ cmd: 'connect', url: '{url}', clientId: CLIENT_ID, xa: scenario.xa ?? false }, { cmd: 'start' }, ...scenario.steps, { cmd: 'exit' }];
    for (const { expectFailure, ...step } of all) {
      const command = (step.cmd === 'connect' ? { ...step, url } : step) as JmsCommand;
      const reply = (await shell.attempt(command)) as Record<string, unknown>;
      if (reply['ok'] === (expectFailure ?? false)) throw new Error(`${scenario.name}: ${JSON.stringify(command)} answered ${JSON.stringify(reply)}`);
      steps.push({ command: step.cmd === 'connect' ? { ...step, url: clientUri } : command, reply });
    }
  } finally {
    await shell.exit();
  }
  const rec = await proxy.finish();
  if (rec.connections !== 1) throw new Error(`${scenario.name}: expected one connection, the client made ${rec.connections}`);
  mkdirSync(FIXTURE_DIR, { recursive: true });
  writeFileSync(join(FIXTURE_DIR, `${scenario.name}.c2s.bin`), rec.c2s);
  writeFileSync(join(FIXTURE_DIR, `${scenario.name}.s2c.bin`), rec.s2c);
  const description = {
    name: scenario.name,
    description: scenario.description,
    clientUri,
    clientId: CLIENT_ID,
    xa: scenario.xa ?? false,
    client: `ActiveMQ JMS client (libactivemq-java ${packageVersion('libactivemq-java')})`,
    broker: `ActiveMQ Classic (activemq ${packageVersion('activemq')}), brokerName ${broker.brokerName}, KahaDB`,
    bytes: { c2s: rec.c2s.length, s2c: rec.s2c.length },
    steps,
    chunks: rec.chunks,
  };
  writeFileSync(join(FIXTURE_DIR, `${scenario.name}.json`), `${JSON.stringify(description, null, 1)}\n`);
  console.log(`${scenario.name}: c2s ${rec.c2s.length} bytes, s2c ${rec.s2c.length} bytes, ${steps.length} steps`);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !SCENARIOS.some((s) => s.name === w));
  if (unknown.length > 0) throw new Error(`unknown scenarios ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const broker = await startActiveMqBroker({ brokerName: 'fixture-broker' });
  try {
    for (const scenario of SCENARIOS) if (wanted.length === 0 || wanted.includes(scenario.name)) await capture(broker, scenario);
  } catch (err) {
    console.error(broker.output());
    throw err;
  } finally {
    await broker.stop();
  }
}

await main();
