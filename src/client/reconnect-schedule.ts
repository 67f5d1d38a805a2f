/**
 * When and where the client (re)connects, with ActiveMQ FailoverTransport semantics. Pure: no
 * timers, no sockets; the client asks it for the next pass and does the waiting itself.
 *
 * A pass tries every broker of the URI once. At startup the first pass is free and
 * `startupMaxReconnectAttempts` more follow (-1: forever). After a lost connection up to
 * `maxReconnectAttempts` passes run (-1: forever, 0: none): the first right away, then after
 * `initialReconnectDelay`, growing by `backOffMultiplier` up to `maxReconnectDelay` when
 * `useExponentialBackOff`. A successful connection resets the count and the delay.
 */
import type { BrokerAddress, ClientUri } from './failover-uri.js';

/** The next pass: its number (1 = the first reconnect pass) and how long to wait before it. */
export interface ReconnectStep {
  readonly attempt: number;
  readonly delay: number;
}

export class ReconnectSchedule {
  private attempts = 0;
  private delay = 0;
  private everConnected = false;

  constructor(
    private readonly uri: ClientUri,
    /** Injected for tests; Math.random otherwise. */
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * The brokers for one pass: in URI order, or shuffled with `randomize`; the broker that just
   * failed goes last (as ActiveMQ does) so a hung broker is not retried before the others.
   */
  order(lastFailed?: BrokerAddress): BrokerAddress[] {
    const list = [...this.uri.brokers];
    if (this.uri.options.randomize) {
      for (let i = list.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [list[i], list[j]] = [list[j] as BrokerAddress, list[i] as BrokerAddress];
      }
    }
    if (lastFailed !== undefined && list.length > 1) {
      const at = list.findIndex((b) => b.uri === lastFailed.uri);
      if (at >= 0) list.push(...list.splice(at, 1));
    }
    return list;
  }

  /** A connection is up: the next loss starts counting (and backing off) from scratch. */
  connected(): void {
    this.everConnected = true;
    this.attempts = 0;
    this.delay = 0;
  }

  /**
   * After the startup pass failed, or after a loss (then before each further failed pass): the
   * next pass, or undefined when the attempts are used up.
   */
  next(): ReconnectStep | undefined {
    const o = this.uri.options;
    const limit = this.everConnected ? o.maxReconnectAttempts : o.startupMaxReconnectAttempts;
    if (limit !== -1 && this.attempts >= limit) return undefined;
    this.attempts++;
    if (this.everConnected && this.attempts === 1) {
      // A broker that just went away may have a peer ready: try the list at once.
      this.delay = 0;
    } else if (this.delay === 0 || !o.useExponentialBackOff) {
      this.delay = Math.min(o.initialReconnectDelay, o.maxReconnectDelay);
    } else {
      this.delay = Math.min(Math.round(this.delay * o.backOffMultiplier), o.maxReconnectDelay);
    }
    return { attempt: this.attempts, delay: this.delay };
  }
}
