/** The OpenWire protocol head: turns accepted streams into OpenWireConnections bound to the core. */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { BrokerCore } from '../../broker/api.js';
import type { FerryError } from '../../errors.js';
import type { StreamAcceptor, StreamMeta } from '../../transport/api.js';
import { OpenWireConnection } from './connection.js';

let connectionCounter = 0;

export class OpenWireHead implements StreamAcceptor {
  private readonly connections = new Set<OpenWireConnection>();
  /** Live connections by the ConnectionId their client chose (a reconnecting client reuses it). */
  private readonly byClientConnectionId = new Map<string, OpenWireConnection>();

  constructor(
    private readonly broker: BrokerCore,
    private readonly log: Logger,
  ) {}

  accept(stream: Duplex, meta: StreamMeta): void {
    const l = meta.listener;
    const log = this.log.child({ conn: ++connectionCounter, proto: 'openwire', remote: meta.remote });
    const conn: OpenWireConnection = new OpenWireConnection(
      stream,
      this.broker,
      {
        config: l.openwire,
        brokerName: this.broker.brokerName,
        brokerUrl: `tcp://${l.host}:${l.port}`,
        registry: {
          find: (id: string): OpenWireConnection | undefined => this.byClientConnectionId.get(id),
          claim: (id: string): void => void this.byClientConnectionId.set(id, conn),
        },
      },
      log,
      meta.remote,
      () => {
        this.connections.delete(conn);
        const id = conn.commands.connectionInfo?.connectionId?.value;
        if (id && this.byClientConnectionId.get(id) === conn) this.byClientConnectionId.delete(id);
      },
    );
    this.connections.add(conn);
    log.debug('accepted');
  }

  reject(stream: Duplex, meta: StreamMeta, reason: FerryError): void {
    // The client has not negotiated a format yet, so there is no way to say why in OpenWire: the
    // broker log says it (the listener logged the limit), the client sees the socket close.
    this.log.debug({ remote: meta.remote, code: reason.code }, 'refused');
    stream.destroy();
  }

  get size(): number {
    return this.connections.size;
  }

  /** Drops every connection (broker stopping). */
  closeAll(): void {
    for (const c of this.connections) c.destroy();
  }
}
