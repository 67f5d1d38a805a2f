/**
 * Interop: the real stompit client (STOMP 1.0, 1.1 and 1.2 over TCP) against a real broker:
 * client acks in every version, persistent sends confirmed by receipts, string bodies, and a
 * 1000-message queue round trip that must come back complete and in order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { QUIET_MS, uniqueName } from '../helpers/stompjs-scenarios.js';
import { connectStompit, type StompitConnection } from '../helpers/stompit-client.js';

/** The versions stompit implements (lib/IncomingFrameStream.js); we negotiate each one. */
const STOMPIT_VERSIONS = ['1.0', '1.1', '1.2'] as const;
const ROUND_TRIP_COUNT = 1000;

describe('interop: stompit over tcp', () => {
  let broker: TestBroker;
  const open: StompitConnection[] = [];
  const connect = async (headers: Record<string, string> = {}): Promise<StompitConnection> => {
    const c = await connectStompit(broker.port, headers);
    open.push(c);
    return c;
  };
  before(async () => {
    broker = await startTestBroker();
  });
  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await broker?.stop();
  });

  for (const version of STOMPIT_VERSIONS) {
    test(`interop: stompit over tcp STOMP ${version}: send, subscribe with client ack, unacked ones come back`, async () => {
      const q = `/queue/${uniqueName(`stompit-${version}`)}`;
      const c = await connect({ 'accept-version': version });
      assert.equal(c.client.headers['version'] ?? '1.0', version);
      // STOMP 1.0 has only the cumulative `client` mode.
      const inbox = c.subscribe({ destination: q, ack: version === '1.0' ? 'client' : 'client-individual' });
      for (const body of ['one', 'two', 'three']) await c.sendConfirmed({ destination: q, 'x-version': version, persistent: 'true' }, body);
      const got = await inbox.take(3, undefined, 'three messages');
      assert.deepEqual(got.map((g) => g.body), ['one', 'two', 'three']);
      assert.equal(got[0]!.message.headers['x-version'], version);
      if (version === '1.2') assert.ok(got[0]!.message.headers['ack'], 'STOMP 1.2 MESSAGE has an ack header');
      // 1.0 has only cumulative `client` ack, so acking "two" there also acks "one".
      await c.ackConfirmed(got[1]!.message);
      if (version !== '1.0') await c.ackConfirmed(got[0]!.message);
      await c.close();

      const again = await connect({ 'accept-version': version });
      const rest = again.subscribe({ destination: q, ack: 'client' });
      const [left] = await rest.take(1, undefined, 'the unacked message');
      assert.equal(left!.body, 'three');
      assert.equal(left!.message.headers['redelivered'], 'true');
      await again.ackConfirmed(left!.message);
      assert.deepEqual(await rest.quiet(QUIET_MS), []);
    });
  }

  test('interop: stompit over tcp NACK (1.2) redelivers the message', async () => {
    const q = `/queue/${uniqueName('stompit-nack')}`;
    const c = await connect();
    const inbox = c.subscribe({ destination: q, ack: 'client-individual' });
    await c.sendConfirmed({ destination: q }, 'bounce');
    const first = await inbox.next();
    await c.ackConfirmed(first.message, true);
    const second = await inbox.next(undefined, undefined, 'the redelivery');
    assert.equal(second.body, 'bounce');
    assert.equal(second.message.headers['redelivered'], 'true');
    await c.ackConfirmed(second.message);
  });

  test('interop: stompit over tcp round-trips 1000 persistent messages through a queue in order', async () => {
    const q = `/queue/${uniqueName('stompit-1000')}`;
    const producer = await connect();
    // Pipelined: every SEND is written at once, each resolves on its own RECEIPT.
    await Promise.all(
      Array.from({ length: ROUND_TRIP_COUNT }, (_, i) => producer.sendConfirmed({ destination: q, persistent: 'true', 'x-seq': String(i) }, `message ${i} ✓`)),
    );
    const consumer = await connect();
    const inbox = consumer.subscribe({ destination: q, ack: 'client-individual', 'activemq.prefetchSize': '100' });
    const acks: Array<Promise<void>> = [];
    for (let i = 0; i < ROUND_TRIP_COUNT; i++) {
      const { message, body } = await inbox.next(undefined, 10_000, `message ${i}`);
      assert.equal(body, `message ${i} ✓`);
      assert.equal(message.headers['x-seq'], String(i));
      assert.equal(message.headers['persistent'], 'true');
      acks.push(consumer.ackConfirmed(message));
    }
    await Promise.all(acks);
    assert.deepEqual(await inbox.quiet(QUIET_MS), []);
    assert.deepEqual(consumer.errors.items, []);
  });

  test('interop: stompit over tcp gets the broker ERROR for a bad destination as an error event', async () => {
    const c = await connect();
    // Rejected through stompit's error event (not an uncaught exception in the client).
    await assert.rejects(c.sendConfirmed({ destination: 'no-prefix' }, 'x'), /illegal destination/);
    const err = await c.errors.next(undefined, undefined, 'the client error event');
    assert.match(err.message, /illegal destination/);
  });
});
