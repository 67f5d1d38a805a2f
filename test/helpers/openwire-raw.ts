/**
 * A tiny raw OpenWire client for protocol tests, built on FerryMQ's own codec: opens a socket,
 * reads the broker's WireFormatInfo (the broker speaks first), sends its own with the options a
 * test picks (version, tight, cache, inactivity), then encodes commands and collects the decoded
 * ones. It can also write any bytes, to play a broken or hostile client. Interop tests use
 * ActiveMQ's real Java client (jms-shell.ts) instead.
 */
import net from 'node:net';
import {
  MIN_OPENWIRE_VERSION, OpenWireDecoder, OpenWireEncoder, createWireFormatInfo, negotiate,
  type ActiveMQDestination, type Command, type ConnectionError, type ConsumerInfo, type ExceptionResponse,
  type MessageDispatch, type NegotiatedWireFormat, type OpenWireDecodeError, type Response,
  type WireFormatInfo, type WireFormatOptions,
} from '../../src/protocols/openwire/codec/index.js';
import { defaultValue, layoutOf } from '../../src/protocols/openwire/codec/schema.js';

/** The newest version: its layouts name every field any version has. */
const ALL_FIELDS_VERSION = 12;
/** Java's default client-side prefetch for queues. */
const QUEUE_PREFETCH = 1000;

/** The command interface whose `type` admits N (Message covers 23..29). */
export type CommandOf<N extends Command['type']> = Command extends infer C ? (C extends { type: infer T } ? (N extends T ? C : never) : never) : never;

/** A command of `type` with every field at its default, then `fields` on top. */
export function command<N extends Command['type']>(type: N, fields: Partial<Omit<CommandOf<N>, 'type'>> = {}): CommandOf<N> {
  const layout = layoutOf(ALL_FIELDS_VERSION, type);
  if (layout === undefined) throw new Error(`no command type ${type}`);
  const o: Record<string, unknown> = { type, commandId: 0, responseRequired: false };
  for (const f of [...layout.wire, ...layout.absent]) o[f.name] = defaultValue(f.kind);
  return { ...o, ...fields } as unknown as CommandOf<N>;
}

/** `queue://x` / `topic://x` -> an ActiveMQ destination. */
export function destination(uri: string): ActiveMQDestination {
  const m = /^(queue|topic):\/\/(.+)$/.exec(uri);
  if (!m) throw new Error(`not a destination URI: ${uri}`);
  return { type: m[1] === 'queue' ? 100 : 101, physicalName: m[2] as string };
}

/** A TextMessage's content: int32 length, then the (here ASCII-safe modified UTF-8) text. */
export function textContent(text: string): Buffer {
  const utf = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(4 + utf.length);
  out.writeInt32BE(utf.length, 0);
  utf.copy(out, 4);
  return out;
}

/** The text of a dispatched TextMessage. */
export function textOf(d: MessageDispatch): string {
  const c = d.message?.content;
  if (!c || c.length < 4) return '';
  return c.subarray(4, 4 + c.readInt32BE(0)).toString('utf8');
}

export interface RawOpenWireOptions extends WireFormatOptions {
  /** Answer every KeepAliveInfo the broker sends with one of ours (what a live client does). */
  answerKeepAlive?: boolean;
}

let connectionSeq = 0;

export class RawOpenWire {
  /** Commands received after the broker's WireFormatInfo, in order (consumed by next()). */
  readonly commands: Command[] = [];
  /** Every KeepAliveInfo arrival time (Date.now()). */
  readonly keepAliveTimes: number[] = [];
  brokerWireFormat: WireFormatInfo | undefined;
  format: NegotiatedWireFormat | undefined;
  decodeError: OpenWireDecodeError | undefined;
  closed = false;
  readonly connectionId = `ID:raw-${process.pid}-${++connectionSeq}`;
  private readonly decoder = new OpenWireDecoder();
  private readonly encoder = new OpenWireEncoder();
  private ours: WireFormatInfo | undefined;
  private answerKeepAlive = false;
  private commandSeq = 0;
  private consumerSeq = 0;
  private producerSeq = 0;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Over a connected socket (a TLS one, say); nothing is sent. */
  static over(socket: net.Socket): RawOpenWire {
    return new RawOpenWire(socket);
  }

  /** Opens a socket; nothing is sent. */
  static open(port: number, host = '127.0.0.1'): Promise<RawOpenWire> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => {
        s.off('error', reject);
        resolve(new RawOpenWire(s));
      });
      s.once('error', reject);
    });
  }

  /** Opens, exchanges WireFormatInfo (waiting for BrokerInfo), and sends ConnectionInfo + SessionInfo. */
  static async connect(port: number, opts: RawOpenWireOptions = {}): Promise<RawOpenWire> {
    const c = await RawOpenWire.open(port);
    try {
      c.sendWireFormat(opts);
      await c.next((x) => x.type === 2);
      await c.start();
      return c;
    } catch (err) {
      c.close();
      throw err;
    }
  }

  /** Sends ConnectionInfo and SessionInfo 1; throws on an ExceptionResponse. */
  async start(): Promise<void> {
    await this.expectOk(command(3, { connectionId: { type: 120, value: this.connectionId }, clientId: this.connectionId }));
    await this.expectOk(command(4, { sessionId: { type: 121, connectionId: this.connectionId, value: 1 } }));
  }

  /** Our WireFormatInfo (always loose, as the first frame is); the format is set once both sides' are known. */
  sendWireFormat(opts: RawOpenWireOptions = {}): void {
    this.answerKeepAlive = opts.answerKeepAlive ?? false;
    const ours = createWireFormatInfo({ providerName: 'raw-test', ...opts });
    this.socket.write(this.encoder.encodeWireFormatInfo(ours));
    this.adoptWireFormat(ours);
  }

  /** Takes `ours` as the WireFormatInfo this client sent (when a test wrote its bytes by hand). */
  adoptWireFormat(ours: WireFormatInfo): void {
    this.ours = ours;
    this.negotiateIfReady();
  }

  private negotiateIfReady(): void {
    if (this.format || !this.ours || !this.brokerWireFormat) return;
    const f = negotiate(this.ours, this.brokerWireFormat);
    // Below v6 the broker answers in v6, loose and uncached, then closes (its ConnectionError).
    this.format = f.version < MIN_OPENWIRE_VERSION ? { ...f, version: MIN_OPENWIRE_VERSION, tightEncoding: false, cacheEnabled: false, cacheSize: 0, stackTraceEnabled: false } : f;
    const err = this.decoder.setFormat(this.format);
    if (err) throw new Error(err.message);
    this.encoder.setFormat(this.format);
    this.onData(Buffer.alloc(0));
  }

  private onData(d: Buffer): void {
    if (this.decodeError) return;
    const out = this.decoder.push(d);
    if (!Array.isArray(out)) {
      this.decodeError = out;
      this.wake();
      return;
    }
    for (const c of out) {
      if (c.type === 1 && !this.brokerWireFormat) {
        this.brokerWireFormat = c;
        continue;
      }
      if (c.type === 10) {
        this.keepAliveTimes.push(Date.now());
        if (this.answerKeepAlive || c.responseRequired) this.send(command(10));
        continue;
      }
      this.commands.push(c);
    }
    // WireFormatInfo pauses the decoder until the format is set.
    if (this.brokerWireFormat && !this.format) this.negotiateIfReady();
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Writes any bytes. */
  raw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Encodes and sends `c` with the next commandId (returned). */
  send(c: Command): number {
    if (!this.format) throw new Error('no wire format negotiated yet');
    const commandId = ++this.commandSeq;
    this.socket.write(this.encoder.encode({ ...c, commandId } as Command));
    return commandId;
  }

  /** Sends `c` with responseRequired and resolves with its Response or ExceptionResponse. */
  async request(c: Command): Promise<Response | ExceptionResponse> {
    const id = this.send({ ...c, responseRequired: true } as Command);
    return (await this.next((x) => (x.type === 30 || x.type === 31) && x.correlationId === id)) as Response | ExceptionResponse;
  }

  async expectOk(c: Command): Promise<void> {
    const r = await this.request(c);
    if (r.type === 31) throw new Error(`ExceptionResponse: ${r.exception?.className}: ${r.exception?.message}`);
  }

  /** Waits for the first unconsumed command matching `pred` and removes it. */
  async next(pred: (c: Command) => boolean = () => true, timeoutMs = 5000): Promise<Command> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.commands.findIndex(pred);
      if (i >= 0) return this.commands.splice(i, 1)[0] as Command;
      if (this.closed) throw new Error(`connection closed while waiting; have: ${this.commands.map((c) => c.type).join(',')}`);
      if (this.decodeError) throw new Error(`undecodable reply: ${this.decodeError.message}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a command; have: ${this.commands.map((c) => c.type).join(',')}`);
      await this.sleepUntilWoken(left);
    }
  }

  private sleepUntilWoken(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Resolves when the broker has closed the socket; throws if it is still open after `timeoutMs`. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('connection still open');
      await this.sleepUntilWoken(left);
    }
  }

  /** Waits for a ConnectionError, then for the close. */
  async errorThenClose(timeoutMs = 5000): Promise<ConnectionError> {
    const e = (await this.next((c) => c.type === 16, timeoutMs)) as ConnectionError;
    await this.waitClosed(timeoutMs);
    return e;
  }

  close(): void {
    this.socket.destroy();
  }

  // ---- conveniences ----

  /** Sends a persistent TextMessage and waits for the broker's Response (after the durable write). */
  async sendText(dest: string, text: string): Promise<void> {
    const producerId = { type: 123 as const, connectionId: this.connectionId, value: ++this.producerSeq, sessionId: 1 };
    await this.expectOk(command(28, {
      producerId,
      destination: destination(dest),
      messageId: { type: 110, producerId, producerSequenceId: 1, brokerSequenceId: 0, textView: null },
      persistent: true,
      priority: 4,
      timestamp: Date.now(),
      content: textContent(text),
    }));
  }

  /** A ConsumerInfo for `dest` on session 1 (prefetch 1000), with `fields` on top. */
  consumerInfo(dest: string, fields: Partial<ConsumerInfo> = {}): ConsumerInfo {
    return command(5, {
      consumerId: { type: 122, connectionId: this.connectionId, sessionId: 1, value: ++this.consumerSeq },
      destination: destination(dest),
      prefetchSize: QUEUE_PREFETCH,
      ...fields,
    });
  }

  /** Subscribes to `dest`, waiting for the Response. */
  async subscribe(dest: string, fields: Partial<ConsumerInfo> = {}): Promise<ConsumerInfo> {
    const info = this.consumerInfo(dest, fields);
    await this.expectOk(info);
    return info;
  }

  /** The next MessageDispatch carrying a message. */
  async message(timeoutMs?: number): Promise<MessageDispatch> {
    return (await this.next((c) => c.type === 21 && c.message !== null, timeoutMs)) as MessageDispatch;
  }
}
