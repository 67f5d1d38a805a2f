/**
 * One OpenWire connection: the socket loop. Sends our WireFormatInfo at once, negotiates the
 * format from the client's, decodes commands and hands them to the command handlers
 * (commands.ts), writes replies and dispatches batched per tick, runs the inactivity monitor
 * (KeepAliveInfo both ways) and holds the producer window.
 *
 * Error rule: a protocol error (bad frame, frame too large, version too old) is answered with a
 * ConnectionError and closes this connection only. A refused operation (bad destination, denied
 * send) is answered with an ExceptionResponse and the connection stays open, as on ActiveMQ.
 */
import type { Duplex } from 'node:stream';
import { bindStream } from '../../transport/api.js';
import type { Logger } from 'pino';
import type { BrokerCore } from '../../broker/api.js';
import type { OpenWireConfig } from '../../config/types.js';
import { FerryError, ErrorCodes } from '../../errors.js';
import { OpenWireDecoder, OpenWireEncoder, negotiate } from './codec/index.js';
import { MIN_OPENWIRE_VERSION, MAX_OPENWIRE_VERSION, type Command, type OpenWireFormat, type WireFormatInfo } from './codec/types.js';
import { OpenWireCommands } from './commands.js';
import { toWireThrowable } from './exceptions.js';

/** Above this many queued outbound bytes, sinks report back-pressure to the core. */
const WRITE_HIGH_WATER = 512 * 1024;
/** After a ConnectionError, how long the peer has to read it before the socket is destroyed. */
const ERROR_LINGER_MS = 2000;
/** The format we speak before negotiation: the first WireFormatInfo is always loose. */
const BOOTSTRAP_FORMAT_VERSION = MAX_OPENWIRE_VERSION;

export interface OpenWireConnectionOptions {
  readonly config: OpenWireConfig;
  readonly brokerName: string;
  /** `tcp://host:port` of the listener, for BrokerInfo. */
  readonly brokerUrl: string;
  readonly registry: ConnectionRegistry;
}

/** The head's index of live connections by the ConnectionId their client chose. */
export interface ConnectionRegistry {
  /** The live connection whose client chose ConnectionId `id`. */
  find(id: string): OpenWireConnection | undefined;
  /** Records `id` as this connection's (once its ConnectionInfo was accepted). */
  claim(id: string): void;
}

export class OpenWireConnection {
  readonly decoder: OpenWireDecoder;
  private readonly encoder = new OpenWireEncoder();
  format: OpenWireFormat | undefined;
  readonly commands: OpenWireCommands;
  private corked = false;
  private closing = false;
  private lastRead = Date.now();
  private lastWrite = Date.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private connectTimer: NodeJS.Timeout | undefined;
  /** Message bytes handed to the core and not yet answered. */
  private inflightBytes = 0;
  private readPaused = false;
  /** Subscriptions the core paused on back-pressure, resumed on drain. */
  readonly pausedSubs = new Set<string>();

  constructor(
    readonly stream: Duplex,
    broker: BrokerCore,
    readonly opts: OpenWireConnectionOptions,
    readonly log: Logger,
    readonly remote: string,
    private readonly onClosed: () => void,
  ) {
    const c = opts.config;
    this.decoder = new OpenWireDecoder({ maxFrameSize: c.maxFrameSize });
    this.commands = new OpenWireCommands(this, broker);
    bindStream(
      stream,
      { data: (chunk) => this.onData(chunk), drain: () => this.onDrain(), destroy: () => this.destroy(), cleanup: () => this.cleanup() },
      this.log,
    );
    this.connectTimer = setTimeout(() => {
      if (!this.commands.connected) this.fail(new FerryError(ErrorCodes.PROTOCOL_ERROR, `no WireFormatInfo and ConnectionInfo within ${c.connectTimeout} ms`));
    }, c.connectTimeout);
    this.connectTimer.unref();
    // The broker speaks first (ActiveMQ's TransportConnection does too): clients wait for it.
    this.writeRaw(this.encoder.encodeWireFormatInfo(this.ourWireFormat()));
  }

  /** What we offer: our preferences, answered by the client's, the lower/AND of both wins. */
  private ourWireFormat(): WireFormatInfo {
    const c = this.opts.config;
    return {
      type: 1,
      version: BOOTSTRAP_FORMAT_VERSION,
      properties: {
        TcpNoDelayEnabled: true,
        SizePrefixDisabled: false,
        CacheSize: c.cacheSize,
        ProviderName: 'FerryMQ',
        StackTraceEnabled: c.stackTraceEnabled,
        PlatformDetails: `Node.js ${process.version}`,
        CacheEnabled: c.cacheEnabled,
        TightEncodingEnabled: c.tightEncodingEnabled,
        MaxFrameSize: c.maxFrameSize,
        MaxInactivityDuration: c.maxInactivityDuration,
        MaxInactivityDurationInitalDelay: c.maxInactivityDurationInitalDelay,
        ProviderVersion: '5.17.2',
      },
    };
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    if (this.closing) return;
    let input = chunk;
    for (;;) {
      const negotiated = this.format !== undefined;
      const result = this.decoder.push(input);
      if (!Array.isArray(result)) {
        const code = result.kind === 'frame-too-large' ? ErrorCodes.FRAME_TOO_LARGE : ErrorCodes.PROTOCOL_ERROR;
        return this.fail(new FerryError(code, `bad OpenWire frame: ${result.message}`));
      }
      for (const command of result) {
        if (this.closing) return;
        this.onCommand(command);
      }
      // The decoder holds frames that follow the WireFormatInfo until the format is set: feed them now.
      if (negotiated || this.format === undefined || this.decoder.bufferedBytes === 0 || this.closing) return;
      input = Buffer.alloc(0);
    }
  }

  private onCommand(command: Command): void {
    if (this.log.isLevelEnabled('trace')) this.log.trace({ type: command.type }, 'command in');
    if (command.type === 1) return this.onWireFormatInfo(command);
    if (this.format === undefined) return this.fail(new FerryError(ErrorCodes.PROTOCOL_ERROR, 'the first OpenWire command must be WireFormatInfo'));
    this.commands.handle(command);
  }

  private onWireFormatInfo(theirs: WireFormatInfo): void {
    if (this.format !== undefined) return; // a repeat (ActiveMQ ignores it too)
    if (theirs.version < MIN_OPENWIRE_VERSION) {
      // Said in the oldest format we speak, loose and uncached: ConnectionError's layout is the
      // same in the older versions, so the client can still show why.
      this.format = { version: MIN_OPENWIRE_VERSION, tightEncoding: false, cacheEnabled: false, cacheSize: 0, stackTraceEnabled: false, maxFrameSize: this.opts.config.maxFrameSize };
      this.encoder.setFormat(this.format);
      return this.fail(new FerryError(ErrorCodes.UNSUPPORTED_VERSION, `OpenWire version ${theirs.version} is not supported: FerryMQ speaks versions ${MIN_OPENWIRE_VERSION} to ${MAX_OPENWIRE_VERSION} (ActiveMQ clients 5.4 and later)`));
    }
    const ours = this.ourWireFormat();
    const format = negotiate(ours, theirs);
    if (theirs.properties['SizePrefixDisabled'] === true && this.log.isLevelEnabled('debug')) {
      this.log.debug('client asked for no size prefix; we keep size prefixes (negotiation takes the AND)');
    }
    this.format = format;
    this.decoder.setFormat(format);
    this.encoder.setFormat(format);
    this.log.debug({ version: format.version, tight: format.tightEncoding, cache: format.cacheEnabled }, 'wire format negotiated');
    this.startInactivityMonitor(format.maxInactivityDuration, format.maxInactivityDurationInitalDelay);
    this.commands.sendBrokerInfo();
  }

  /** Negotiation succeeded and ConnectionInfo was accepted. */
  connectedNow(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
  }

  // ---- output ----

  /** Writes one command; false once the outbound buffer is above the high-water mark. */
  send(command: Command): boolean {
    if (this.format === undefined || this.stream.destroyed || this.closing) return false;
    let bytes: Buffer;
    try {
      bytes = this.encoder.encode(command);
    } catch (err) {
      // A value this format cannot carry (a string too long for tight encoding): the encode cache
      // may now be out of step with the client, so this connection cannot go on; others can.
      this.log.warn({ err, type: command.type }, 'could not encode a command for this client; closing the connection');
      this.destroy();
      return false;
    }
    return this.writeRaw(bytes);
  }

  private writeRaw(bytes: Buffer): boolean {
    if (this.stream.destroyed) return false;
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(this.uncork);
    }
    this.stream.write(bytes);
    this.lastWrite = Date.now();
    return this.stream.writableLength < WRITE_HIGH_WATER;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.stream.uncork();
  };

  private onDrain(): void {
    if (this.pausedSubs.size === 0) return;
    const subs = [...this.pausedSubs];
    this.pausedSubs.clear();
    for (const id of subs) this.commands.resume(id);
  }

  /**
   * Counts a message against the producer window; returns the callback that uncounts it. Past
   * the window the socket is paused (TCP pushes back on the client) until half is answered.
   */
  trackSend(bytes: number): () => void {
    this.inflightBytes += bytes;
    if (!this.readPaused && this.inflightBytes > this.opts.config.producerWindow) {
      this.readPaused = true;
      this.stream.pause();
    }
    return () => {
      this.inflightBytes -= bytes;
      if (this.readPaused && this.inflightBytes <= this.opts.config.producerWindow / 2) {
        this.readPaused = false;
        this.lastRead = Date.now();
        if (!this.stream.destroyed) this.stream.resume();
      }
    };
  }

  // ---- inactivity monitor (ActiveMQ's InactivityMonitor) ----

  /** `duration` and `delay` as negotiated (the smaller of both sides; 0 turns monitoring off). */
  private startInactivityMonitor(duration: number, delay: number): void {
    if (duration <= 0) return;
    const writeEvery = duration > 3 ? Math.floor(duration / 3) : duration;
    const start = setTimeout(() => {
      this.lastRead = Date.now();
      this.timers.push(
        setInterval(() => {
          if (Date.now() - this.lastWrite >= writeEvery && !this.stream.destroyed) this.send({ type: 10, commandId: 0, responseRequired: false });
        }, writeEvery),
        setInterval(() => {
          if (this.readPaused) this.lastRead = Date.now();
          if (Date.now() - this.lastRead > duration) {
            this.log.info({ silentMs: Date.now() - this.lastRead, maxInactivityDuration: duration }, 'client inactive; dropping connection');
            this.destroy();
          }
        }, duration),
      );
    }, delay);
    this.timers.push(start);
  }

  // ---- closing ----

  /** Sends a ConnectionError and closes this connection. */
  fail(err: FerryError): void {
    if (this.closing) return;
    this.log.info({ code: err.code, err: err.message }, 'closing connection after error');
    if (this.format === undefined) {
      // Before negotiation there is no agreed format to say it in: just close.
      this.closeGracefully();
      return;
    }
    this.send({ type: 16, commandId: 0, responseRequired: false, exception: toWireThrowable(err), connectionId: null });
    this.closeGracefully();
  }

  closeGracefully(): void {
    if (this.closing) return;
    this.closing = true;
    this.commands.close();
    this.stream.end();
    setTimeout(() => this.destroy(), ERROR_LINGER_MS).unref();
  }

  destroy(): void {
    this.closing = true;
    this.commands.close();
    if (!this.stream.destroyed) this.stream.destroy();
  }

  private cleanup(): void {
    this.closing = true;
    this.commands.close();
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.onClosed();
  }
}
