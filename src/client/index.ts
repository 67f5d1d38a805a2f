/**
 * FerryMQ's own client: STOMP 1.2 over TCP with ActiveMQ failover URIs. See docs/client.md.
 */
export { FerryClient } from './client.js';
export { parseClientUri, DEFAULT_FAILOVER_OPTIONS, type BrokerAddress, type ClientUri, type FailoverOptions } from './failover-uri.js';
export { toStompDestination } from './destination.js';
export type { ClientEvents, ClientLogger, ClientOptions, SendOptions } from './options.js';
export { ReceivedMessage, Subscription, type AckMode, type MessageHandler, type SubscribeOptions } from './subscription.js';
export { Transaction, type TransactionSendOptions } from './transaction.js';
