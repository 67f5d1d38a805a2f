/**
 * FerryClient: FerryMQ's own STOMP 1.2 client with ActiveMQ failover semantics.
 *
 *   const c = await FerryClient.connect('failover:(stomp://a:61613,stomp://b:61613)?randomize=false');
 *   // or, to hear about the first connection's retries too:
 *   const c = new FerryClient(uri, options); c.on('reconnecting', ...); await c.open();
 *   await c.send('/queue/orders', 'hello', { persistent: true });
 *   const sub = await c.subscribe('/queue/orders', (m) => { handle(m.text); m.ack(); }, { ack: 'client-individual' });
 *   await c.close();
 *
 * After a lost connection it reconnects (failover URIs only), sends every SUBSCRIBE again, then
 * writes again, in order, every persistent send still without its RECEIPT (see outbox.ts), then
 * what the application sent meanwhile. Open transactions are lost (transaction.ts).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ErrorCodes, FerryError } from '../errors.js';
import type { StompFrame } from '../protocols/stomp/codec/frame.js';
import { toStompDestination } from './destination.js';
import { parseClientUri, redact, type ClientUri } from './failover-uri.js';
import { resolveOptions, type ClientEvents, type ClientOptions, type ResolvedOptions, type SendOptions } from './options.js';
import { Outbox, sendFrameHeaders } from './outbox.js';
import { runPasses, type PassHooks } from './connect-passes.js';
import { ReconnectSchedule } from './reconnect-schedule.js';
import { brokerError, StompLink } from './stomp-link.js';
import { ActiveSubscription, Subscription, type MessageHandler, type SubscribeOptions, type SubscriptionHost } from './subscription.js';
import { Transaction, type TransactionHost } from './transaction.js';
import { Waiters } from './waiters.js';

/** Headers subscribe() sets itself; the application's values for them are ignored. */
const RESERVED_SUBSCRIBE_HEADERS = new Set(['destination', 'id', 'ack', 'receipt', 'selector', 'activemq.prefetchSize']);
/** How long close() waits for the DISCONNECT receipt (which follows every earlier receipt). */
const CLOSE_WAIT_MS = 10_000;

type State = 'connecting' | 'connected' | 'reconnecting' | 'closing' | 'closed';

export class FerryClient extends EventEmitter<ClientEvents> {
  /** Sent with every persistent SEND (`ferrymq.producerId`) so the broker can drop resent duplicates. */
  readonly producerId: string = `ferry-${randomUUID()}`;
  private producerSeq = 0;
  private ids = 0;
  private state: State = 'connecting';
  private link: StompLink | undefined;
  /** Connections made so far; the current one's number while connected. */
  private connections = 0;
  private readonly outbox: Outbox;
  private readonly waiters: Waiters;
  private readonly subs = new Map<string, ActiveSubscription>();
  private readonly schedule: ReconnectSchedule;
  private closing: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  /** Aborts a connection attempt in progress when the client closes. */
  private readonly abort = new AbortController();
  /** The parsed URI: brokers and failover options. */
  readonly target: ClientUri;
  private readonly opts: ResolvedOptions;
  private readonly subHost: SubscriptionHost;
  private readonly txHost: TransactionHost;
  private readonly passHooks: PassHooks;

  /**
   * A client for `uri` (see docs/client.md for the forms and options), not connected yet: call
   * open(). Throws CLIENT_INVALID_URI for a URI it cannot use.
   */
  constructor(
    private readonly uriText: string,
    options: ClientOptions = {},
  ) {
    super();
    this.target = parseClientUri(uriText);
    this.opts = resolveOptions(options);
    this.schedule = new ReconnectSchedule(this.target);
    this.outbox = new Outbox(this.target.options.timeout);
    this.waiters = new Waiters(this.target.options.timeout);
    const opts = this.opts;
    this.passHooks = {
      stopped: () => this.state === 'closing' || this.state === 'closed',
      reconnecting: (attempt, delay, lastError) => this.emit('reconnecting', attempt, delay, lastError),
      sleep: (ms) => this.waiters.sleep(ms),
      frame: (f) => this.onFrame(f),
      closed: (link, reason) => this.linkDown(link, reason),
      log: opts.logger,
    };
    const epoch = (): number => (this.link !== undefined ? this.connections : 0);
    this.subHost = {
      get epoch() {
        return epoch();
      },
      writeFrame: (command, headers) => this.link?.write(command, headers),
      unsubscribe: (sub) => this.unsubscribe(sub),
      log: opts.logger,
    };
    this.txHost = {
      get epoch() {
        return epoch();
      },
      sendHeaders: (d, body, persistent, headers) => sendFrameHeaders(toStompDestination(d), body, persistent, headers),
      write: (command, headers, body) => this.writeNow(command, headers, body),
      request: (command, headers, lost) => this.request(command, headers, lost),
    };
  }

  /**
   * A connected client: `new FerryClient(uri, options)` then open(). Rejects with
   * CLIENT_INVALID_URI or CLIENT_CONNECT_FAILED.
   */
  static async connect(uri: string, options: ClientOptions = {}): Promise<FerryClient> {
    const client = new FerryClient(uri, options);
    await client.open();
    return client;
  }

  /**
   * Connects: tries the brokers as the URI says (startupMaxReconnectAttempts more passes after
   * the first; -1: until one answers). Resolves once a broker accepted; rejects with
   * CLIENT_CONNECT_FAILED, or CLIENT_CLOSED when close() came first. Calling it again returns the
   * same promise.
   */
  open(): Promise<void> {
    this.opening ??= runPasses(this.schedule, this.opts, this.abort.signal, this.passHooks, true).then(({ link, lastError }) => {
      if (link !== undefined) return this.linkUp(link);
      const closed = this.state === 'closing' || this.state === 'closed';
      this.state = 'closed';
      if (closed) throw this.closedError();
      const why = lastError ? `: ${lastError.message}` : '';
      throw new FerryError(ErrorCodes.CLIENT_CONNECT_FAILED, `cannot connect to ${redact(this.uriText)}${why}`, { cause: lastError });
    });
    return this.opening;
  }

  /** The broker currently connected to (`stomp://host:port`), undefined while disconnected. */
  get connectedUri(): string | undefined {
    return this.link?.address.uri;
  }

  /**
   * Sends a message. A persistent send resolves once the broker has stored it (its RECEIPT,
   * from whichever broker after a failover); a non-persistent one once it is written to the socket.
   * While disconnected it waits up to the failover `timeout`, then rejects with CLIENT_TIMEOUT.
   * An ERROR from the broker for this send rejects it (it is not resent).
   */
  send(destination: string, body: string | Buffer, options: SendOptions = {}): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return Promise.reject(this.closedError());
    const dest = toStompDestination(destination);
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const persistent = options.persistent ?? options.headers?.['persistent'] === 'true';
    const headers = sendFrameHeaders(dest, buf, persistent, options.headers, typeof body === 'string');
    let receipt: string | undefined;
    if (persistent) {
      receipt = `r-${++this.ids}`;
      // STOMP: the first occurrence of a header wins, so these go before the application's.
      headers.splice(2, 0, ['ferrymq.producerId', this.producerId], ['ferrymq.producerSeq', String(++this.producerSeq)], ['receipt', receipt]);
    }
    return new Promise((resolve, reject) => this.outbox.submit({ receipt, destination: dest, headers, body: buf, resolve, reject }, this.link));
  }

  /**
   * Subscribes; resolves once the broker confirms (so a message sent afterwards is seen). The
   * subscription is re-established after every failover with the same id and headers.
   */
  subscribe(destination: string, handler: MessageHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.state === 'closing' || this.state === 'closed') return Promise.reject(this.closedError());
    const ack = options.ack ?? 'auto';
    if (ack !== 'auto' && ack !== 'client' && ack !== 'client-individual') {
      return Promise.reject(new FerryError(ErrorCodes.PROTOCOL_ERROR, `invalid ack mode "${String(ack)}" (expected auto, client or client-individual)`));
    }
    const dest = toStompDestination(destination);
    const id = `sub-${++this.ids}`;
    const headers: Array<[string, string]> = [['destination', dest], ['id', id], ['ack', ack]];
    if (options.selector !== undefined) headers.push(['selector', options.selector]);
    if (options.prefetch !== undefined) headers.push(['activemq.prefetchSize', String(options.prefetch)]);
    for (const [k, v] of Object.entries(options.headers ?? {})) if (!RESERVED_SUBSCRIBE_HEADERS.has(k)) headers.push([k, v]);
    const sub = new ActiveSubscription(this.subHost, id, dest, ack, headers, handler, this.opts.auditDepth);
    this.subs.set(id, sub);
    return new Promise((resolve, reject) => {
      const forget = (err: FerryError): void => {
        this.subs.delete(id);
        reject(err);
      };
      sub.pending = this.waiters.pendingUntilConnected(() => resolve(new Subscription(sub)), forget, this.link === undefined, `SUBSCRIBE to ${dest}`);
      if (this.link !== undefined) this.writeSubscribe(sub, this.link);
    });
  }

  /** Begins a transaction on the current connection (waiting for one up to the failover timeout). */
  async begin(): Promise<Transaction> {
    if (this.state === 'closing' || this.state === 'closed') throw this.closedError();
    if (this.link === undefined) await this.waiters.connection('BEGIN');
    const id = `tx-${++this.ids}`;
    await this.writeNow('BEGIN', [['transaction', id]]);
    return new Transaction(id, this.connections, this.txHost);
  }

  /**
   * Closes: waits (up to 10 s) for receipts still due (persistent sends, commits), disconnects,
   * and fails whatever is left with CLIENT_CLOSED. Idempotent.
   */
  close(): Promise<void> {
    // Already given up: nothing to disconnect, and 'closed' was emitted then.
    if (this.state === 'closed') return this.closing ?? Promise.resolve();
    this.closing ??= (async () => {
      this.state = 'closing';
      this.abort.abort();
      this.waiters.wakeSleeper();
      const link = this.link;
      if (link !== undefined) {
        await Promise.race([this.request('DISCONNECT', [], undefined).catch(() => undefined), sleep(CLOSE_WAIT_MS)]);
        link.end();
        link.destroy(this.closedError());
      }
      this.finish(this.closedError(), undefined);
    })();
    return this.closing;
  }

  // ---- connections ----

  private linkUp(link: StompLink): void {
    if (this.state === 'closing' || this.state === 'closed') {
      link.destroy(this.closedError());
      return;
    }
    this.link = link;
    this.connections++;
    this.state = 'connected';
    this.schedule.connected();
    this.opts.logger?.info({ broker: link.address.uri, connection: this.connections }, 'connected');
    // Subscriptions first, then the sends in their original order; only then tell the
    // application, so a send made in a 'connected' listener cannot overtake older ones.
    for (const sub of this.subs.values()) this.writeSubscribe(sub, link);
    this.outbox.flush(link);
    this.waiters.connected();
    this.emit('connected', link.address.uri);
  }

  private linkDown(link: StompLink, reason: FerryError): void {
    if (link !== this.link) return;
    this.link = undefined;
    this.waiters.lost(reason);
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'reconnecting';
    this.opts.logger?.warn({ broker: link.address.uri, err: reason.message }, 'connection lost');
    this.emit('disconnected', reason);
    this.outbox.disconnected();
    const o = this.target.options;
    if (!this.target.failover || o.maxReconnectAttempts === 0) {
      const why = this.target.failover ? 'maxReconnectAttempts=0' : 'a plain URI does not reconnect; use failover:(...) for that';
      const err = new FerryError(ErrorCodes.CLIENT_DISCONNECTED, `${reason.message} (${why})`, { cause: reason });
      this.finish(err, err);
      return;
    }
    void runPasses(this.schedule, this.opts, this.abort.signal, this.passHooks, false, link.address).then(({ link: next, lastError }) => {
      if (next !== undefined) return this.linkUp(next);
      if (this.state === 'closing' || this.state === 'closed') return;
      const err = new FerryError(
        ErrorCodes.CLIENT_DISCONNECTED,
        `lost the connection to ${link.address.uri} and gave up after ${o.maxReconnectAttempts} reconnect attempts${lastError ? `: ${lastError.message}` : ''}`,
        { cause: lastError ?? reason },
      );
      this.finish(err, err);
    });
  }

  /** The end: everything still waiting fails with `err`; `closed` is emitted with `reason`. */
  private finish(err: FerryError, reason: FerryError | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.outbox.rejectAll(err);
    this.waiters.closed(err);
    for (const sub of this.subs.values()) sub.pending?.reject(err);
    this.subs.clear();
    if (reason !== undefined) this.opts.logger?.warn({ err: reason.message }, 'client gave up');
    this.emit('closed', reason);
  }

  // ---- frames ----

  private onFrame(f: StompFrame): void {
    switch (f.command) {
      case 'MESSAGE': {
        const sub = this.subs.get(f.headers.get('subscription') ?? '');
        // A message for a subscription just ended: the broker takes it back with the UNSUBSCRIBE.
        sub?.onMessage(f.headers, f.body, this.connections);
        return;
      }
      case 'RECEIPT': {
        const id = f.headers.get('receipt-id') ?? '';
        const send = this.outbox.take(id);
        if (send !== undefined) send.resolve();
        else this.waiters.receipt(id);
        return;
      }
      case 'ERROR':
        return this.onError(f);
    }
  }

  /** An ERROR fails the frame it names (never resent) and ends the connection: fail over. */
  private onError(f: StompFrame): void {
    const uri = this.link?.address.uri ?? 'the broker';
    const id = f.headers.get('receipt-id');
    const send = id === undefined ? undefined : this.outbox.take(id);
    if (send !== undefined) send.reject(brokerError(f, `SEND to ${send.destination} refused by ${uri}`));
    else if (id !== undefined) this.waiters.error(id, brokerError(f, `${uri} refused a request`));
    const err = brokerError(f, `${uri} sent ERROR`);
    this.opts.logger?.warn({ broker: uri, err: err.message }, 'ERROR frame; failing over');
    this.link?.destroy(err);
  }

  // ---- writing ----

  private writeSubscribe(sub: ActiveSubscription, link: StompLink): void {
    const receipt = `r-${++this.ids}`;
    this.waiters.expect(receipt, {
      receipt: () => sub.confirmed(),
      error: (err) => {
        if (sub.refused(err)) this.subs.delete(sub.id);
      },
      lost: () => undefined, // subscribed again on the next connection
    });
    link.write('SUBSCRIBE', [...sub.headers, ['receipt', receipt]]);
  }

  private async unsubscribe(sub: ActiveSubscription): Promise<void> {
    if (this.subs.get(sub.id) !== sub) return;
    this.subs.delete(sub.id);
    if (this.link !== undefined) await this.request('UNSUBSCRIBE', [['id', sub.id]], undefined);
  }

  /** Writes now on the current connection; rejects when there is none. */
  private writeNow(command: string, headers: Array<[string, string]>, body?: Buffer): Promise<void> {
    if (this.link === undefined) return Promise.reject(new FerryError(ErrorCodes.CLIENT_DISCONNECTED, `not connected: ${command} not sent`));
    return this.link.flushed(command, headers, body);
  }

  /** A frame with a receipt on the current connection (see Waiters.request). */
  private request(command: string, headers: Array<[string, string]>, lost: FerryError | undefined): Promise<void> {
    return this.waiters.request(this.link, `r-${++this.ids}`, command, headers, lost);
  }

  private closedError(): FerryError {
    return new FerryError(ErrorCodes.CLIENT_CLOSED, 'the client is closed');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
