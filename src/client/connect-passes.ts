/**
 * Connecting as a failover URI says: passes over the broker list (order and back-off from the
 * ReconnectSchedule), each broker tried once per pass, until one accepts, the attempts run out,
 * or the client closes. The first connection and every reconnect go through here.
 */
import { ErrorCodes, FerryError } from '../errors.js';
import type { StompFrame } from '../protocols/stomp/codec/frame.js';
import type { BrokerAddress } from './failover-uri.js';
import type { ClientLogger } from './options.js';
import type { ReconnectSchedule } from './reconnect-schedule.js';
import { StompLink, type LinkOptions } from './stomp-link.js';

/** What the passes need from the client. */
export interface PassHooks {
  /** True once the client is closing: no further attempt starts. */
  stopped(): boolean;
  /** A pass after the first is about to start, after `delay` ms. */
  reconnecting(attempt: number, delay: number, lastError: FerryError | undefined): void;
  /** The back-off wait (close() cuts it short). */
  sleep(ms: number): Promise<void>;
  /** Frames of the link that comes up. */
  frame(frame: StompFrame): void;
  /** That link died. */
  closed(link: StompLink, reason: FerryError): void;
  readonly log: ClientLogger | undefined;
}

export interface PassOutcome {
  /** The connection, when a broker accepted. */
  readonly link?: StompLink;
  /** Why the last attempt failed. */
  readonly lastError?: FerryError;
}

/**
 * `first`: the startup pass (free, then startupMaxReconnectAttempts more); otherwise passes after
 * a lost connection, `lastFailed` (the broker just lost) tried last in the first of them.
 */
export async function runPasses(
  schedule: ReconnectSchedule,
  opts: LinkOptions,
  signal: AbortSignal,
  hooks: PassHooks,
  first: boolean,
  lastFailed?: BrokerAddress,
): Promise<PassOutcome> {
  let lastError: FerryError | undefined;
  let step = first ? { attempt: 0, delay: 0 } : schedule.next();
  let failed = lastFailed;
  while (step !== undefined) {
    if (step.attempt > 0) hooks.reconnecting(step.attempt, step.delay, lastError);
    if (step.delay > 0) await hooks.sleep(step.delay);
    for (const broker of schedule.order(failed)) {
      if (hooks.stopped()) return { lastError };
      const holder: { link?: StompLink } = {};
      try {
        holder.link = await StompLink.open(
          broker,
          opts,
          {
            frame: (f) => hooks.frame(f),
            closed: (reason) => {
              if (holder.link !== undefined) hooks.closed(holder.link, reason);
            },
          },
          signal,
        );
        return { link: holder.link };
      } catch (e) {
        lastError = e instanceof FerryError ? e : new FerryError(ErrorCodes.CLIENT_CONNECT_FAILED, String(e), { cause: e });
        hooks.log?.debug({ broker: broker.uri, err: lastError.message }, 'connect attempt failed');
      }
    }
    failed = undefined;
    step = schedule.next();
  }
  return { lastError };
}
