/**
 * XA with ActiveMQ's Java client (ActiveMQXAConnectionFactory) against FerryMQ: prepare, commit,
 * rollback, recover, the XAER_NOTA a transaction manager needs for an unknown xid, and prepared
 * branches that outlive their connection and a broker restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { JmsShell, type JmsXid } from '../helpers/jms-shell.js';

const RECEIVE_MS = 5_000;
const QUIET_MS = 300;
const LISTENERS = [{ uri: 'tcp://127.0.0.1:0' }];

function xid(n: number): JmsXid {
  return { formatId: 7, gtrid: `ab0${n}`, bqual: '01' };
}

describe('openwire: XA transactions with the ActiveMQ Java client', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferrymq-xa-'));
  let tb: TestBroker;
  let shell: JmsShell;
  const url = (): string => `tcp://127.0.0.1:${tb.broker.listeners.find((l) => l.scheme === 'openwire')?.port}`;

  before(async () => {
    tb = await startTestBroker({ listeners: LISTENERS }, dir);
    shell = await JmsShell.start({ url: url() });
    await shell.call({ cmd: 'session', id: 'auto' });
  });
  after(async () => {
    await shell?.close();
    await tb?.stop({ keepData: true });
    rmSync(dir, { recursive: true, force: true });
  });

  async function receiveAll(dest: string, session = 'auto'): Promise<string[]> {
    const id = `c-${Math.random()}`;
    await shell.call({ cmd: 'consumer', id, session, dest });
    const got = await shell.call({ cmd: 'receive', consumer: id, timeout: QUIET_MS, count: 100 });
    await shell.call({ cmd: 'closeConsumer', consumer: id });
    return (got.messages ?? []).map((m) => String(m.body));
  }

  test('openwire: prepare, recover, commit one branch and roll back another; an unknown xid is XAER_NOTA', async () => {
    const q = 'queue://xa.basic';
    await shell.call({ cmd: 'connect', id: 'xa', url: url(), xa: true, start: true });
    await shell.call({ cmd: 'xaSession', id: 'xs', connection: 'xa' });
    await shell.call({ cmd: 'producer', id: 'xa-out', session: 'xs', dest: q });
    for (const [n, body] of [
      [1, 'committed'],
      [2, 'rolled back'],
    ] as const) {
      await shell.call({ cmd: 'xa', session: 'xs', op: 'start', xid: xid(n) });
      await shell.call({ cmd: 'send', producer: 'xa-out', message: { type: 'text', body } });
      await shell.call({ cmd: 'xa', session: 'xs', op: 'end', xid: xid(n) });
      assert.equal((await shell.call({ cmd: 'xa', session: 'xs', op: 'prepare', xid: xid(n) })).vote, 'XA_OK');
    }
    // An empty branch votes read-only.
    await shell.call({ cmd: 'xa', session: 'xs', op: 'start', xid: xid(3) });
    await shell.call({ cmd: 'xa', session: 'xs', op: 'end', xid: xid(3) });
    assert.equal((await shell.call({ cmd: 'xa', session: 'xs', op: 'prepare', xid: xid(3) })).vote, 'XA_RDONLY');
    const { xids } = await shell.call({ cmd: 'xa', session: 'xs', op: 'recover' });
    assert.deepEqual(new Set(xids), new Set([xid(1), xid(2)]));
    assert.deepEqual(await receiveAll(q), [], 'prepared sends are not visible');
    await shell.call({ cmd: 'xa', session: 'xs', op: 'commit', xid: xid(1) });
    await shell.call({ cmd: 'xa', session: 'xs', op: 'rollback', xid: xid(2) });
    assert.deepEqual(await receiveAll(q), ['committed']);
    const unknown = await shell.attempt({ cmd: 'xa', session: 'xs', op: 'commit', xid: xid(9) });
    assert.equal(unknown.ok ? undefined : unknown.xaErrorCode, -4); // XAER_NOTA
    await shell.call({ cmd: 'closeConnection', connection: 'xa' });
  });

  test('openwire: a prepared branch (a consume and a send) survives its connection and a broker restart, then commits', async () => {
    const input = 'queue://xa.restart.in';
    const output = 'queue://xa.restart.out';
    await shell.call({ cmd: 'producer', id: 'feed', session: 'auto', dest: input, deliveryMode: 'persistent' });
    await shell.call({ cmd: 'send', producer: 'feed', message: { type: 'text', body: 'work item' } });
    await shell.call({ cmd: 'connect', id: 'xr', url: url(), xa: true, start: true });
    await shell.call({ cmd: 'xaSession', id: 'xrs', connection: 'xr' });
    await shell.call({ cmd: 'consumer', id: 'xr-in', session: 'xrs', dest: input });
    await shell.call({ cmd: 'producer', id: 'xr-out', session: 'xrs', dest: output, deliveryMode: 'persistent' });
    await shell.call({ cmd: 'xa', session: 'xrs', op: 'start', xid: xid(5) });
    const got = await shell.call({ cmd: 'receive', consumer: 'xr-in', timeout: RECEIVE_MS });
    assert.equal(got.messages?.[0]?.body, 'work item');
    await shell.call({ cmd: 'send', producer: 'xr-out', message: { type: 'text', body: 'result' } });
    await shell.call({ cmd: 'xa', session: 'xrs', op: 'end', xid: xid(5) });
    assert.equal((await shell.call({ cmd: 'xa', session: 'xrs', op: 'prepare', xid: xid(5) })).vote, 'XA_OK');
    await shell.call({ cmd: 'closeConnection', connection: 'xr' });
    // The connection is gone; the consumed message stays held, the result stays invisible.
    assert.deepEqual(await receiveAll(input), []);
    assert.deepEqual(await receiveAll(output), []);

    await shell.call({ cmd: 'closeConnection' });
    await tb.stop({ keepData: true });
    tb = await startTestBroker({ listeners: LISTENERS }, dir);
    await shell.call({ cmd: 'connect', url: url(), start: true });
    await shell.call({ cmd: 'session', id: 'auto' });
    await shell.call({ cmd: 'connect', id: 'tm', url: url(), xa: true, start: true });
    await shell.call({ cmd: 'xaSession', id: 'tms', connection: 'tm' });
    const { xids } = await shell.call({ cmd: 'xa', session: 'tms', op: 'recover' });
    assert.deepEqual(xids, [xid(5)], 'the prepared branch is listed after the restart');
    assert.deepEqual(await receiveAll(input), [], 'still held after the restart');
    await shell.call({ cmd: 'xa', session: 'tms', op: 'commit', xid: xid(5) });
    assert.deepEqual(await receiveAll(output), ['result']);
    assert.deepEqual(await receiveAll(input), [], 'the consume was committed');
    assert.deepEqual((await shell.call({ cmd: 'xa', session: 'tms', op: 'recover' })).xids, []);
    await shell.call({ cmd: 'closeConnection', connection: 'tm' });
  });
});
