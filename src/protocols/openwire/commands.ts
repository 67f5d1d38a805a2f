/**
 * OpenWire commands -> BrokerSession calls: connection, sessions, producers, sends, transactions,
 * temporary destinations and durable subscription removal. Consumers and acks live in
 * consumers.ts. Every command with `responseRequired` gets exactly one Response or
 * ExceptionResponse, in the order the outcomes are known (sends answer after the durable write).
 */
import type { BrokerCore, BrokerSession } from '../../broker/api.js';
import type { Destination } from '../../broker/message.js';
import { FerryError, ErrorCodes } from '../../errors.js';
import type {
  ActiveMQDestination,
  Command,
  ConnectionInfo,
  DestinationInfo,
  Message as WireMessage,
  ProducerInfo,
  RemoveInfo,
  TransactionId,
  WireThrowable,
} from './codec/types.js';
import type { OpenWireConnection } from './connection.js';
import { OpenWireConsumers } from './consumers.js';
import { primeWireCache, toCoreDestination, toCoreMessage } from './convert.js';
import { toWireThrowable } from './exceptions.js';
import { producerKey, sessionKey, transactionKey } from './ids.js';
import { OpenWireTransactions } from './transactions.js';
import { publishAdvisory, publishTempAdvisory } from './advisories.js';

/** Java's Message.getSize(): what the client counts against producerWindowSize per message. */
const MESSAGE_SIZE_OVERHEAD = 1024;

/** DestinationInfo.operationType */
const ADD_OPERATION = 0;
const REMOVE_OPERATION = 1;

interface Producer {
  readonly info: ProducerInfo;
  readonly session: string;
}

export class OpenWireCommands {
  session: BrokerSession | undefined;
  connectionInfo: ConnectionInfo | undefined;
  readonly consumers: OpenWireConsumers;
  readonly txs: OpenWireTransactions;
  private readonly producers = new Map<string, Producer>();
  private readonly sessions = new Set<string>();
  /** Temporary destinations this connection created (advisory REMOVE on close). */
  private readonly temps = new Map<string, Destination>();
  private closed = false;

  constructor(
    readonly conn: OpenWireConnection,
    readonly brokerCore: BrokerCore,
  ) {
    this.consumers = new OpenWireConsumers(this);
    this.txs = new OpenWireTransactions(this);
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  // ---- replies ----

  ok(command: Command): void {
    if ('responseRequired' in command && command.responseRequired) {
      this.conn.send({ type: 30, commandId: 0, responseRequired: false, correlationId: command.commandId });
    }
  }

  /** The outcome of `command`: Response, or ExceptionResponse (or a ConnectionError for async sends). */
  reply(command: Command, err: FerryError | undefined, throwable?: WireThrowable): void {
    if (!err) return this.ok(command);
    const exception = throwable ?? toWireThrowable(err);
    this.conn.log.debug({ code: err.code, err: err.message, type: command.type }, 'command refused');
    if ('responseRequired' in command && command.responseRequired) {
      this.conn.send({ type: 31, commandId: 0, responseRequired: false, correlationId: command.commandId, exception });
    } else {
      // An async command failed: the client's ExceptionListener hears of it; the connection stays.
      this.conn.send({ type: 16, commandId: 0, responseRequired: false, exception, connectionId: null });
    }
  }

  sendBrokerInfo(): void {
    const o = this.conn.opts;
    this.conn.send({
      type: 2,
      commandId: 0,
      responseRequired: false,
      brokerId: { type: 124, value: `ID:${o.brokerName}` },
      brokerURL: o.brokerUrl,
      peerBrokerInfos: null,
      brokerName: o.brokerName,
      slaveBroker: false,
      masterBroker: false,
      faultTolerantConfiguration: false,
      duplexConnection: false,
      networkConnection: false,
      connectionId: 0,
      brokerUploadUrl: null,
      networkProperties: null,
    });
  }

  // ---- dispatch ----

  handle(c: Command): void {
    // ConnectionControl may come first: the failover transport's restoreTransport() announces
    // itself fault tolerant (a oneway ConnectionControl) before it replays the ConnectionInfo.
    if (this.session === undefined && c.type !== 3 && c.type !== 10 && c.type !== 11 && c.type !== 18) {
      return this.conn.fail(new FerryError(ErrorCodes.PROTOCOL_ERROR, `command type ${c.type} before ConnectionInfo`));
    }
    switch (c.type) {
      case 3:
        return this.onConnectionInfo(c);
      case 4: // SessionInfo
        if (c.sessionId) this.sessions.add(sessionKey(c.sessionId));
        return this.ok(c);
      case 6:
        return this.onProducerInfo(c);
      case 5:
        return this.consumers.add(c);
      case 22:
        return this.consumers.ack(c);
      case 20:
        return this.consumers.pull(c);
      case 7:
        return this.txs.handle(c);
      case 8:
        return this.onDestinationInfo(c);
      case 9: // RemoveSubscriptionInfo
        return this.session?.removeDurable(c.subcriptionName ?? '', (err) => this.reply(c, err));
      case 12:
        return this.onRemove(c);
      case 10: // KeepAliveInfo: answer when asked (the client's keep-alive check)
        if (c.responseRequired) this.conn.send({ type: 10, commandId: 0, responseRequired: false });
        return;
      case 11: // ShutdownInfo: the client is leaving cleanly
        return this.conn.closeGracefully();
      case 17:
        return this.consumers.control(c);
      case 15: // FlushCommand
      case 14: // ControlCommand
      case 18: // ConnectionControl
      case 19: // ProducerAck (broker -> client only)
        return this.ok(c);
      case 23:
      case 24:
      case 25:
      case 26:
      case 27:
      case 28:
      case 29:
        return this.onMessage(c);
      default:
        return this.reply(c, new FerryError(ErrorCodes.PROTOCOL_ERROR, `command type ${c.type} is not accepted from a client`));
    }
  }

  private onConnectionInfo(c: ConnectionInfo): void {
    if (this.session) return this.reply(c, new FerryError(ErrorCodes.PROTOCOL_ERROR, 'connection already open'));
    // A client reconnecting (failover, a cut connection) reuses its ConnectionId; its old
    // connection may not look dead yet here (half-open TCP) and would hold the client id. The
    // same ConnectionId from the same host is the same client: the new connection replaces the old.
    const wireId = c.connectionId?.value ?? undefined;
    const old = wireId ? this.conn.opts.registry.find(wireId) : undefined;
    if (old && old !== this.conn && hostOf(old.remote) === hostOf(this.conn.remote)) {
      this.conn.log.info({ connectionId: c.connectionId?.value }, 'client reconnected: closing its previous connection');
      old.destroy();
    }
    const s = this.brokerCore.connect({ protocol: 'openwire', remote: this.conn.remote, clientId: c.clientId ?? undefined, login: c.userName ?? undefined });
    if (s instanceof FerryError) {
      this.reply(c, s);
      // ActiveMQ keeps the socket; the Java client closes it after the failed start.
      return;
    }
    this.session = s;
    this.connectionInfo = c;
    if (wireId) this.conn.opts.registry.claim(wireId);
    this.conn.connectedNow();
    this.conn.log.debug({ clientId: c.clientId, user: c.userName }, 'connected');
    this.ok(c);
    publishAdvisory(this, { kind: 'connection', operation: 'add', connectionId: this.connectionId(), clientId: c.clientId ?? undefined });
  }

  private onProducerInfo(c: ProducerInfo): void {
    if (c.producerId) this.producers.set(producerKey(c.producerId), { info: c, session: `${c.producerId.connectionId ?? ''}:${c.producerId.sessionId}` });
    this.ok(c);
    this.producerAdvisory(c, 'add');
  }

  private producerAdvisory(p: ProducerInfo, operation: 'add' | 'remove'): void {
    const d = p.destination ? toCoreDestination(p.destination) : undefined;
    if (!p.producerId || !d || d instanceof FerryError) return; // anonymous producers have no topic
    publishAdvisory(this, { kind: 'producer', operation, connectionId: this.connectionId(), id: producerKey(p.producerId), destination: d });
  }

  /** This connection's id as the client named it (ActiveMQ's `ID:host-port-time-n:k`). */
  connectionId(): string {
    return this.connectionInfo?.connectionId?.value ?? this.session?.connectionId ?? '';
  }

  private onMessage(m: WireMessage): void {
    const s = this.session as BrokerSession;
    const producer = m.producerId ? this.producers.get(producerKey(m.producerId)) : undefined;
    const dest = m.destination ?? producer?.info.destination ?? null;
    const wire = dest === m.destination ? m : { ...m, destination: dest };
    const core = toCoreMessage(wire, { connectionId: s.connectionId, maxInflated: this.conn.opts.config.maxFrameSize });
    if (core instanceof FerryError) return this.reply(m, core);
    primeWireCache(core, wire);
    const size = MESSAGE_SIZE_OVERHEAD + (m.content?.length ?? 0) + (m.marshalledProperties?.length ?? 0);
    const untrack = this.conn.trackSend(size);
    const tx = m.transactionId ? this.txs.coreTx(m.transactionId) : undefined;
    if (tx instanceof FerryError) {
      untrack();
      return this.reply(m, tx);
    }
    s.send(core, tx, (err) => {
      untrack();
      if (err || m.responseRequired) return this.reply(m, err);
      // Async send under producerWindowSize: give the window back once the message is safe.
      if (producer && producer.info.windowSize > 0 && m.producerId) {
        this.conn.send({ type: 19, commandId: 0, responseRequired: false, producerId: m.producerId, size });
      }
    });
  }

  private onDestinationInfo(c: DestinationInfo): void {
    const s = this.session as BrokerSession;
    const d = c.destination ? toCoreDestination(c.destination) : new FerryError(ErrorCodes.INVALID_DESTINATION, 'DestinationInfo without a destination');
    if (d instanceof FerryError) return this.reply(c, d);
    if (d.kind !== 'temp-queue' && d.kind !== 'temp-topic') return this.ok(c); // queues and topics exist on use
    const key = `${d.kind}://${d.name}`;
    if (c.operationType === ADD_OPERATION) {
      const err = s.createTemporary(d);
      if (!err) {
        this.temps.set(key, d);
        publishTempAdvisory(this, c.destination as ActiveMQDestination, ADD_OPERATION);
      }
      return this.reply(c, err);
    }
    if (c.operationType === REMOVE_OPERATION) {
      const err = s.deleteTemporary(d);
      if (!err) {
        this.temps.delete(key);
        publishTempAdvisory(this, c.destination as ActiveMQDestination, REMOVE_OPERATION);
      }
      return this.reply(c, err);
    }
    this.ok(c);
  }

  private onRemove(c: RemoveInfo): void {
    const id = c.objectId;
    if (id === null) return this.ok(c);
    switch (id.type) {
      case 122: // ConsumerId
        return this.reply(c, this.consumers.remove(id, c.lastDeliveredSequenceId));
      case 123: {
        // ProducerId
        const p = this.producers.get(producerKey(id));
        this.producers.delete(producerKey(id));
        if (p) this.producerAdvisory(p.info, 'remove');
        return this.ok(c);
      }
      case 121: {
        // SessionId: its consumers and producers go with it.
        const key = sessionKey(id);
        this.sessions.delete(key);
        this.consumers.removeSession(id, c.lastDeliveredSequenceId);
        for (const [k, p] of this.producers) {
          if (p.session !== key) continue;
          this.producers.delete(k);
          this.producerAdvisory(p.info, 'remove');
        }
        return this.ok(c);
      }
      case 120: // ConnectionId: the client then sends ShutdownInfo
        this.ok(c);
        return this.close();
      default:
        return this.ok(c);
    }
  }

  resume(subscriptionId: string): void {
    this.session?.resume(subscriptionId);
  }

  /** Transaction id -> the core's transaction name (undefined for none). */
  txName(id: TransactionId | null): string | undefined {
    return id ? transactionKey(id) : undefined;
  }

  /** Ends the core session: temp destinations (advisory REMOVE), consumers, open transactions. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const s = this.session;
    if (!s) return;
    for (const d of this.temps.values()) {
      publishTempAdvisory(this, { type: d.kind === 'temp-queue' ? 102 : 103, physicalName: d.name }, REMOVE_OPERATION);
    }
    this.temps.clear();
    this.consumers.closeAll();
    for (const p of this.producers.values()) this.producerAdvisory(p.info, 'remove');
    this.producers.clear();
    publishAdvisory(this, { kind: 'connection', operation: 'remove', connectionId: this.connectionId() });
    this.session = undefined;
    s.close();
  }
}

/** The address part of `host:port` / `[v6]:port`. */
function hostOf(remote: string): string {
  const i = remote.lastIndexOf(':');
  return i < 0 ? remote : remote.slice(0, i);
}
