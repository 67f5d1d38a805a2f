/**
 * A broker that stops answering without closing anything (a paused process, a hung host) is only
 * noticed through heart-beats. Broker A runs as a child process and is paused with SIGSTOP; the
 * client, with `heart-beat: 1000,1000`, must fail over to broker B within about three seconds.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FerryClient } from '../../src/client/index.js';
import type { FerryError } from '../../src/errors.js';
import { startTestBroker } from '../helpers/broker.js';
import { BrokerProcess, writeBrokerConfig } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/stompjs-scenarios.js';

/** 2 x 1000 ms of silence, a quarter-interval check, the reconnect, and slack for a busy CI machine. */
const FAILOVER_WITHIN_MS = 3500;

test('client-heartbeat: a SIGSTOPped broker is detected by missing heart-beats and the client fails over', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferrymq-client-hb-'));
  const a = await BrokerProcess.start(await writeBrokerConfig(dir, { dataDirectory: join(dir, 'data'), sync: false }));
  const b = await startTestBroker();
  let client: FerryClient | undefined;
  try {
    client = await FerryClient.connect(`failover:(stomp://127.0.0.1:${a.port},stomp://127.0.0.1:${b.port})?randomize=false`, { heartbeat: [1000, 1000] });
    const c = client;
    assert.equal(c.connectedUri, `stomp://127.0.0.1:${a.port}`);
    const reasons: FerryError[] = [];
    c.on('disconnected', (r) => reasons.push(r));
    process.kill(a.pid, 'SIGSTOP');
    const t0 = Date.now();
    await waitFor(() => c.connectedUri === `stomp://127.0.0.1:${b.port}`, 'failover to broker B', FAILOVER_WITHIN_MS + 2000);
    const took = Date.now() - t0;
    t.diagnostic(`failed over ${took} ms after SIGSTOP`);
    assert.ok(took < FAILOVER_WITHIN_MS, `failed over after ${took} ms`);
    assert.equal(reasons[0]?.code, 'HEARTBEAT_TIMEOUT');
    // Still a working client on B.
    await c.send('/queue/client.hb', 'on B', { persistent: true });
    assert.equal(b.broker.core.queues.get('queue://client.hb')?.depth, 1);
  } finally {
    await client?.close();
    process.kill(a.pid, 'SIGCONT');
    await a.stop();
    await b.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
