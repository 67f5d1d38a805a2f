/** The STOMP protocol head: turns accepted streams into StompConnections bound to the core. */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { BrokerCore } from '../../broker/api.js';
import type { FerryError } from '../../errors.js';
import type { StompConfig } from '../../config/types.js';
import type { StreamAcceptor, StreamMeta } from '../../transport/api.js';
import { encodeFrame } from './codec/encoder.js';
import { StompConnection } from './connection.js';

let connectionCounter = 0;

export class StompHead implements StreamAcceptor {
  private readonly connections = new Set<StompConnection>();

  constructor(
    private readonly broker: BrokerCore,
    private readonly config: StompConfig,
    private readonly log: Logger,
  ) {}

  accept(stream: Duplex, meta: StreamMeta): void {
    const l = meta.listener;
    const log = this.log.child({ conn: ++connectionCounter, proto: 'stomp', remote: meta.remote });
    const conn = new StompConnection(
      stream,
      this.broker,
      {
        limits: { maxFrameSize: l.maxFrameSize, maxHeaders: l.maxHeaders, maxHeaderLength: l.maxHeaderLength },
        heartbeatMinimum: this.config.heartbeatMinimum,
        heartbeatGraceFactor: this.config.heartbeatGraceFactor,
        connectTimeout: this.config.connectTimeout,
        producerWindow: this.config.producerWindow,
        serverName: 'FerryMQ',
      },
      log,
      meta.remote,
      () => this.connections.delete(conn),
    );
    this.connections.add(conn);
    log.debug('accepted');
  }

  reject(stream: Duplex, _meta: StreamMeta, reason: FerryError): void {
    stream.end(encodeFrame('ERROR', [['message', reason.message]], undefined, '1.0'));
    setTimeout(() => stream.destroy(), 1000).unref();
  }

  get size(): number {
    return this.connections.size;
  }

  /** Drops every connection (broker stopping). */
  closeAll(): void {
    for (const c of this.connections) c.destroy();
  }
}
