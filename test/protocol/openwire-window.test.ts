/**
 * openwire.producerWindow over a real socket: at the store limit an OpenWire producer firing async
 * persistent messages (no response asked, as `useAsyncSend` does) stops being read once the bytes
 * in flight pass its window, instead of the broker buffering everything it sends; once consumers
 * make room, every message arrives, once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { publishNumbered, sleep } from '../helpers/limits.js';
import { command, destination, RawOpenWire, textContent, textOf } from '../helpers/openwire-raw.js';

const KiB = 1024;
const SEGMENT = 64 * KiB;
const STORE_LIMIT = 5 * SEGMENT;
const BODY = 4 * KiB;
const WINDOW = 64 * KiB;
const FIRED = 200;
/** Java's Message.getSize(): what the head counts per message against the window, besides content. */
const PER_MESSAGE = 1024;

describe('limits: OpenWire producer window', () => {
  it('limits: openwire.producerWindow stops reading an async producer at the store limit; all arrive once room is made', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const filler = await connect();
        let filled = 0;
        while (core.usage().store < STORE_LIMIT) await publishNumbered(filler, '/queue/ow.window', ++filled, 1, { size: BODY, headers: () => ({ persistent: 'true' }) });
        const port = tb.broker.listeners.find((l) => l.scheme === 'openwire')?.port ?? 0;
        const producer = await RawOpenWire.connect(port);
        try {
          const producerId = { type: 123 as const, connectionId: producer.connectionId, value: 1, sessionId: 1 };
          await producer.expectOk(command(6, { producerId, destination: destination('queue://ow.window') }));
          const body = 'x'.repeat(BODY);
          for (let i = 1; i <= FIRED; i++) {
            producer.send(
              command(28, {
                producerId,
                destination: destination('queue://ow.window'),
                messageId: { type: 110, producerId, producerSequenceId: i, brokerSequenceId: 0, textView: null },
                persistent: true,
                priority: 4,
                timestamp: Date.now(),
                content: textContent(`${filled + i}:${body}`),
              }),
            );
          }
          await sleep(400);
          // Admitted before reads paused: the window's worth, plus what one socket read already held.
          const perSend = BODY + PER_MESSAGE;
          const bound = Math.ceil(WINDOW / perSend) + Math.ceil((64 * KiB) / perSend) + 1;
          const blocked = core.blockedSends;
          assert.ok(blocked > 0 && blocked <= bound, `blockedSends ${blocked}, expected 1..${bound}`);
          await sleep(300);
          assert.equal(core.blockedSends, blocked, 'nothing more was read while the window is full');
          assert.equal(producer.closed, false);
          // Room is made: every message arrives, once, in order.
          const consumer = await RawOpenWire.connect(port);
          try {
            await consumer.subscribe('queue://ow.window', { prefetchSize: 50 });
            const seen: number[] = [];
            while (seen.length < filled + FIRED) {
              const d = await consumer.message(15_000);
              seen.push(Number(textOf(d).split(':')[0]));
              consumer.send(command(22, { consumerId: d.consumerId, destination: d.destination, ackType: 2, firstMessageId: d.message?.messageId ?? null, lastMessageId: d.message?.messageId ?? null, messageCount: 1 }));
            }
            assert.deepEqual(seen, Array.from({ length: filled + FIRED }, (_, i) => i + 1));
          } finally {
            consumer.close();
          }
        } finally {
          producer.close();
        }
      },
      {
        listeners: [{ uri: 'stomp://127.0.0.1:0' }, { uri: 'tcp://127.0.0.1:0' }],
        limits: { store: STORE_LIMIT },
        store: { journal: { segmentSize: SEGMENT } },
        openwire: { producerWindow: WINDOW },
      },
    );
  });
});
