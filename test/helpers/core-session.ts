/** Driving the core's session API directly, as a protocol head does (for core API tests). */
import type { BrokerSession, Delivery, DeliverySink } from '../../src/broker/api.js';
import type { DestinationKind, Message } from '../../src/broker/message.js';
import type { FerryError } from '../../src/errors.js';
import type { TestBroker } from './broker.js';

/** A sink that keeps every delivery. */
export class Collect implements DeliverySink {
  readonly got: Delivery[] = [];
  closedWith: FerryError | undefined | null = null;
  deliver(d: Delivery): boolean {
    this.got.push(d);
    return true;
  }
  closed(reason: FerryError | undefined): void {
    this.closedWith = reason;
  }
  bodies(): string[] {
    return this.got.map((d) => d.message.body.toString());
  }
}

export function openSession(tb: TestBroker): BrokerSession {
  const s = tb.broker.core.connect({ protocol: 'test', remote: 'test:0' });
  if (!('send' in s)) throw s;
  return s;
}

/** A text message from `s` to `name`. */
export function textMessage(s: BrokerSession, name: string, body: string, opts: { kind?: DestinationKind; persistent?: boolean } = {}): Message {
  return {
    messageId: s.nextMessageId(),
    destination: { kind: opts.kind ?? 'queue', name },
    persistent: opts.persistent ?? false,
    priority: 4,
    timestamp: Date.now(),
    expiration: 0,
    redeliveryCount: 0,
    properties: null,
    bodyType: 'text',
    body: Buffer.from(body),
  };
}

/** A core call with a `done` callback, as a promise. */
export function call(fn: (done: (err?: FerryError) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}
