/**
 * Everything the client waits for besides sends (outbox.ts): RECEIPTs of requests on the current
 * connection, a connection to come back (bounded by the failover `timeout`), and the back-off
 * sleep between reconnect passes, which close() cuts short.
 */
import { ErrorCodes, FerryError } from '../errors.js';
import type { StompLink } from './stomp-link.js';

/** The three ways a request with a receipt ends. */
export interface ReceiptWaiter {
  receipt(): void;
  error(err: FerryError): void;
  /** The connection died before the answer. */
  lost(reason: FerryError): void;
}

interface ConnectionWaiter {
  resolve(): void;
  reject(err: FerryError): void;
  timer: NodeJS.Timeout | undefined;
}

export class Waiters {
  private readonly receipts = new Map<string, ReceiptWaiter>();
  private connectionWaiters: ConnectionWaiter[] = [];
  private wake: (() => void) | undefined;

  /** -1: wait for a connection forever. */
  constructor(private readonly timeoutMs: number) {}

  expect(receipt: string, waiter: ReceiptWaiter): void {
    this.receipts.set(receipt, waiter);
  }

  /**
   * Writes a frame asking for `receipt` on `link`: its RECEIPT resolves, an ERROR naming it
   * rejects, a lost connection rejects with `lost` (resolves when undefined: nothing to undo).
   * Without a link it settles at once the same way.
   */
  request(link: StompLink | undefined, receipt: string, command: string, headers: Array<[string, string]>, lost: FerryError | undefined): Promise<void> {
    if (link === undefined) return lost ? Promise.reject(lost) : Promise.resolve();
    return new Promise((resolve, reject) => {
      this.expect(receipt, { receipt: resolve, error: reject, lost: () => (lost ? reject(lost) : resolve()) });
      link.write(command, [...headers, ['receipt', receipt]]);
    });
  }

  receipt(id: string): void {
    const w = this.receipts.get(id);
    this.receipts.delete(id);
    w?.receipt();
  }

  error(id: string, err: FerryError): void {
    const w = this.receipts.get(id);
    this.receipts.delete(id);
    w?.error(err);
  }

  /** The connection is gone: no receipt will come for what was asked on it. */
  lost(reason: FerryError): void {
    const all = [...this.receipts.values()];
    this.receipts.clear();
    for (const w of all) w.lost(reason);
  }

  /** Resolves once connected; rejects after the failover timeout, or with `closed()`'s error. */
  connection(what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const w: ConnectionWaiter = { resolve, reject, timer: undefined };
      if (this.timeoutMs >= 0) {
        w.timer = setTimeout(() => {
          this.connectionWaiters = this.connectionWaiters.filter((x) => x !== w);
          reject(timeoutError(this.timeoutMs, what));
        }, this.timeoutMs);
      }
      this.connectionWaiters.push(w);
    });
  }

  /**
   * Wraps the outcome callbacks of a request that may have to wait for a connection: when
   * `waiting`, it fails after the failover timeout unless settled first.
   */
  pendingUntilConnected(resolve: () => void, reject: (err: FerryError) => void, waiting: boolean, what: string): { resolve: () => void; reject: (err: FerryError) => void } {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const settle = (f: () => void): void => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      f();
    };
    if (waiting && this.timeoutMs >= 0) timer = setTimeout(() => settle(() => reject(timeoutError(this.timeoutMs, what))), this.timeoutMs);
    return { resolve: () => settle(resolve), reject: (err) => settle(() => reject(err)) };
  }

  connected(): void {
    const all = this.connectionWaiters;
    this.connectionWaiters = [];
    for (const w of all) {
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.resolve();
    }
  }

  /** Back-off between reconnect passes; wakeSleeper() ends it early. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  wakeSleeper(): void {
    this.wake?.();
  }

  /** The client is done: every waiter fails with `err`. */
  closed(err: FerryError): void {
    this.lost(err);
    const all = this.connectionWaiters;
    this.connectionWaiters = [];
    for (const w of all) {
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.reject(err);
    }
    this.wakeSleeper();
  }
}

function timeoutError(ms: number, what: string): FerryError {
  return new FerryError(ErrorCodes.CLIENT_TIMEOUT, `${what} waited ${ms} ms for a connection (failover timeout)`);
}
