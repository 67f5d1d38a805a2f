/**
 * Usage reporting: `<dataDirectory>/status.json` (rewritten every 2 s) shows memory, store and
 * temp usage against the limits, and `ferrymq status` prints them for a running child broker.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker } from '../helpers/broker.js';
import { BrokerProcess } from '../helpers/broker-process.js';
import { RawStomp } from '../helpers/stomp-client.js';
import { runStatus, writeLimitsConfig } from '../helpers/limits-process.js';
import { publishNumbered, waitUntil } from '../helpers/limits.js';
import type { StatusSnapshot } from '../../src/status.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BODY = 16 * KiB;
const COUNT = 128;
const LIMITS = { memory: 1 * MiB, store: 64 * MiB, temp: 32 * MiB };
/** The status file is rewritten every 2 s (status.ts STATUS_INTERVAL_MS); allow two rounds and some. */
const STATUS_WAIT_MS = 5000;

function readStatus(dataDir: string): StatusSnapshot | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'status.json'), 'utf8')) as StatusSnapshot;
  } catch {
    return undefined;
  }
}

describe('limits: status', () => {
  it('limits: status.json shows memory, store and temp usage against the limits', async () => {
    const tb = await startTestBroker({ limits: LIMITS });
    try {
      const c = await RawStomp.connect(tb.port);
      // 2 MiB persistent (paged out past 1 MiB) and 2 MiB non-persistent (spilled to temp).
      await publishNumbered(c, '/queue/status.p', 1, COUNT, { size: BODY, headers: () => ({ persistent: 'true' }) });
      await publishNumbered(c, '/queue/status.np', 1, COUNT, { size: BODY });
      let s: StatusSnapshot | undefined;
      await waitUntil(
        () => {
          s = readStatus(tb.dataDir);
          return s !== undefined && s.usage.temp > 0 && s.pendingMessages === 2 * COUNT;
        },
        `status.json shows the traffic (now ${JSON.stringify(s)})`,
        STATUS_WAIT_MS,
      );
      assert.ok(s);
      assert.deepEqual({ memory: s.limits.memory, store: s.limits.store, temp: s.limits.temp }, LIMITS);
      assert.equal(s.pid, process.pid);
      assert.ok(s.usage.store >= COUNT * BODY, `usage.store ${s.usage.store}`);
      assert.ok(s.usage.temp >= COUNT * BODY - LIMITS.memory, `usage.temp ${s.usage.temp}`);
      assert.ok(s.usage.memory > 0 && s.usage.memory <= LIMITS.memory + BODY + 256, `usage.memory ${s.usage.memory}`);
      assert.ok(s.pagedOutMessages >= COUNT, `pagedOutMessages ${s.pagedOutMessages}`);
      assert.equal(s.blockedSends, 0);
      assert.equal(s.connections, 1);
      c.close();
    } finally {
      await tb.stop({ keepData: true });
      assert.equal(existsSync(join(tb.dataDir, 'status.json')), false, 'a stopped broker leaves no status.json behind');
      await rm(tb.dataDir, { recursive: true, force: true });
    }
  });

  it('limits: ferrymq status prints memory, store and temp usage of a running broker', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferrymq-status-'));
    const dataDirectory = join(dir, 'data');
    const config = await writeLimitsConfig(dir, { dataDirectory, sync: false, limits: { memory: '1mb', store: '64mb', temp: '32mb' } });
    const broker = await BrokerProcess.start(config);
    try {
      const c = await RawStomp.connect(broker.port);
      await publishNumbered(c, '/queue/status.cli', 1, COUNT, { size: BODY, headers: () => ({ persistent: 'true' }) });
      await waitUntil(() => (readStatus(dataDirectory)?.pendingMessages ?? 0) === COUNT, 'status.json shows the backlog', STATUS_WAIT_MS);
      const r = await runStatus(config);
      assert.equal(r.code, 0, `ferrymq status: ${r.stdout} ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`running \\(pid ${broker.pid}\\)`));
      assert.match(r.stdout, /^\s+memory\s+\S+ \S+ of 1\.0 MiB/m);
      assert.match(r.stdout, /^\s+store\s+[2-9]\.\d MiB of 64\.0 MiB/m, 'about 2 MiB of journal');
      assert.match(r.stdout, /^\s+temp\s+\S+ \S+ of 32\.0 MiB/m);
      assert.match(r.stdout, new RegExp(`pending messages ${COUNT} \\(\\d+ paged out\\)`));
      c.close();
    } finally {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
