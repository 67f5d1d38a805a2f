/**
 * Queue dispatch policies: exclusive consumers (activemq.exclusive), consumer priority
 * (activemq.priority) and message groups (JMSXGroupID).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies, type RawStomp } from '../helpers/stomp-client.js';

async function sendAll(p: RawStomp, dest: string, list: readonly string[], headers: Record<string, string> = {}): Promise<void> {
  for (const b of list) await p.publish(dest, b, headers);
}

describe('core: dispatch policies', () => {
  it('core: an exclusive consumer gets every message while it lives; then the next takes over', async () => {
    await withBroker(async ({ connect }) => {
      const plain = await connect();
      const excl = await connect();
      const p = await connect();
      await plain.subscribe('/queue/excl', { ack: 'client' });
      await excl.subscribe('/queue/excl', { ack: 'client', 'activemq.exclusive': 'true' });
      await sendAll(p, '/queue/excl', ['e1', 'e2', 'e3', 'e4']);
      assert.deepEqual(bodies(await excl.messages(4)), ['e1', 'e2', 'e3', 'e4']);
      await plain.expectNoMessage(150);
      excl.close(); // unacked: they come back, and the remaining consumer takes over
      const moved = await plain.messages(4);
      assert.deepEqual(bodies(moved), ['e1', 'e2', 'e3', 'e4']);
      assert.ok(moved.every((f) => f.headers.get('redelivered') === 'true'));
      await p.publish('/queue/excl', 'e5');
      assert.equal((await plain.message()).body.toString(), 'e5');
    });
  });

  it('core: with two exclusive consumers the first owns the queue, the second is standby', async () => {
    await withBroker(async ({ connect }) => {
      const first = await connect();
      const standby = await connect();
      const p = await connect();
      await first.subscribe('/queue/excl2', { 'activemq.exclusive': 'true' });
      await standby.subscribe('/queue/excl2', { 'activemq.exclusive': 'true' });
      await sendAll(p, '/queue/excl2', ['a', 'b']);
      assert.deepEqual(bodies(await first.messages(2)), ['a', 'b']);
      await standby.expectNoMessage(100);
      await first.disconnect();
      await p.publish('/queue/excl2', 'c');
      assert.equal((await standby.message()).body.toString(), 'c');
    });
  });

  it('core: a higher-priority consumer gets messages while it has credit', async () => {
    await withBroker(async ({ connect }) => {
      const low = await connect();
      const high = await connect();
      const p = await connect();
      await low.subscribe('/queue/cprio', { ack: 'client', 'activemq.priority': '1' });
      await high.subscribe('/queue/cprio', { ack: 'client', 'activemq.priority': '9', 'activemq.prefetchSize': '3' });
      await sendAll(p, '/queue/cprio', ['m1', 'm2', 'm3', 'm4', 'm5']);
      const h = await high.messages(3);
      assert.deepEqual(bodies(h), ['m1', 'm2', 'm3']);
      assert.deepEqual(bodies(await low.messages(2)), ['m4', 'm5']); // high is out of credit
      await high.ack(h[2]!);
      await sendAll(p, '/queue/cprio', ['m6', 'm7']);
      assert.deepEqual(bodies(await high.messages(2)), ['m6', 'm7']);
      await low.expectNoMessage(100);
    });
  });

  it('core: all messages of a group go to one consumer; another group may go elsewhere', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const p = await connect();
      await a.subscribe('/queue/groups');
      await b.subscribe('/queue/groups');
      for (let i = 0; i < 4; i++) {
        await p.publish('/queue/groups', `g1-${i}`, { JMSXGroupID: 'g1' });
        await p.publish('/queue/groups', `g2-${i}`, { JMSXGroupID: 'g2' });
      }
      const gotA = bodies(await a.messages(4));
      const gotB = bodies(await b.messages(4));
      const groupsOf = (l: string[]) => new Set(l.map((x) => x.slice(0, 2)));
      assert.equal(groupsOf(gotA).size, 1, `a got ${gotA.join()}`);
      assert.equal(groupsOf(gotB).size, 1, `b got ${gotB.join()}`);
      assert.notDeepEqual(groupsOf(gotA), groupsOf(gotB));
      // Order within a group is kept.
      assert.deepEqual(gotA, [...gotA].sort());
    });
  });

  it('core: a group moves to another consumer when its owner leaves', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const p = await connect();
      await a.subscribe('/queue/groups-move', { ack: 'client' });
      await p.publish('/queue/groups-move', 'x1', { JMSXGroupID: 'G' });
      const first = await a.message();
      assert.equal(first.headers.get('JMSXGroupID'), 'G');
      await b.subscribe('/queue/groups-move', { ack: 'client' });
      await sendAll(p, '/queue/groups-move', ['x2', 'x3'], { JMSXGroupID: 'G' });
      assert.deepEqual(bodies(await a.messages(2)), ['x2', 'x3']); // sticky, even with b idle
      await b.expectNoMessage(100);
      a.close();
      const moved = await b.messages(3);
      assert.deepEqual(bodies(moved), ['x1', 'x2', 'x3']);
      await p.publish('/queue/groups-move', 'x4', { JMSXGroupID: 'G' });
      assert.equal((await b.message()).body.toString(), 'x4');
    });
  });

  it('core: JMSXGroupSeq -1 closes a group; its next message is assigned afresh', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const p = await connect();
      await a.subscribe('/queue/groups-close');
      await b.subscribe('/queue/groups-close');
      await p.publish('/queue/groups-close', 'g1', { JMSXGroupID: 'G', JMSXGroupSeq: '1' });
      await p.publish('/queue/groups-close', 'g2', { JMSXGroupID: 'G', JMSXGroupSeq: '2' });
      await p.publish('/queue/groups-close', 'close', { JMSXGroupID: 'G', JMSXGroupSeq: '-1' });
      const owned = await a.messages(3);
      assert.deepEqual(bodies(owned), ['g1', 'g2', 'close']);
      assert.equal(owned[2]?.headers.get('JMSXGroupSeq'), '-1');
      // Round-robin resumes where the first assignment left it: the reopened group goes to b.
      await p.publish('/queue/groups-close', 'reopened', { JMSXGroupID: 'G', JMSXGroupSeq: '1' });
      assert.equal((await b.message()).body.toString(), 'reopened');
      await a.expectNoMessage(100);
    });
  });

  it('core: a group owner without credit holds its group back while other groups flow', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const p = await connect();
      await a.subscribe('/queue/groups-credit', { ack: 'client', 'activemq.prefetchSize': '1' });
      await p.publish('/queue/groups-credit', 'A1', { JMSXGroupID: 'A' });
      const a1 = await a.message();
      await b.subscribe('/queue/groups-credit', { ack: 'client', 'activemq.prefetchSize': '10' });
      await p.publish('/queue/groups-credit', 'A2', { JMSXGroupID: 'A' });
      await p.publish('/queue/groups-credit', 'B1', { JMSXGroupID: 'B' });
      assert.deepEqual(bodies(await b.messages(1)), ['B1']);
      await b.expectNoMessage(100); // A2 belongs to a, which has no credit
      await a.ack(a1);
      assert.equal((await a.message()).body.toString(), 'A2');
    });
  });
});
