/**
 * A STOMP transaction (BEGIN ... COMMIT | ABORT) on one connection. The broker rolls back a
 * transaction whose connection dies, so a transaction does not survive a failover: its sends are
 * not resent (they carry no producer sequence) and commit() rejects with CLIENT_TRANSACTION_LOST,
 * telling the application to run it again.
 */
import { ErrorCodes, FerryError } from '../errors.js';

/** What a transaction needs from its client. */
export interface TransactionHost {
  /** The current connection's number (0 while disconnected). */
  readonly epoch: number;
  /** Builds the SEND headers (destination, persistence, content-length, user headers). */
  sendHeaders(destination: string, body: Buffer, persistent: boolean, headers: Readonly<Record<string, string>> | undefined): Array<[string, string]>;
  /** Writes a frame; resolves once it is handed to the kernel. */
  write(command: string, headers: Array<[string, string]>, body?: Buffer): Promise<void>;
  /** Writes a frame with a receipt; resolves on the RECEIPT, rejects on ERROR, or with `lost` if the connection dies first. */
  request(command: string, headers: Array<[string, string]>, lost: FerryError | undefined): Promise<void>;
}

export interface TransactionSendOptions {
  readonly persistent?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

export class Transaction {
  private finished = false;

  /** @internal Made by FerryClient.begin(). */
  constructor(
    readonly id: string,
    private readonly epoch: number,
    private readonly host: TransactionHost,
  ) {}

  /** Sends inside the transaction: nothing is visible to consumers before commit(). */
  send(destination: string, body: string | Buffer, options: TransactionSendOptions = {}): Promise<void> {
    const problem = this.check('send in');
    if (problem !== undefined) return Promise.reject(problem);
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const headers = this.host.sendHeaders(destination, buf, options.persistent ?? false, options.headers);
    headers.push(['transaction', this.id]);
    return this.host.write('SEND', headers, buf);
  }

  /** Commits; resolves once the broker confirms (after persistent sends are on disk). */
  commit(): Promise<void> {
    const problem = this.check('commit');
    if (problem !== undefined) return Promise.reject(problem);
    this.finished = true;
    const lost = new FerryError(ErrorCodes.CLIENT_TRANSACTION_LOST, `connection lost while committing transaction ${this.id}: its outcome is unknown`);
    return this.host.request('COMMIT', [['transaction', this.id]], lost);
  }

  /** Rolls back. After a failover there is nothing to roll back: the broker already did. */
  abort(): Promise<void> {
    if (this.finished) return Promise.reject(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `transaction ${this.id} is already finished`));
    this.finished = true;
    if (this.epoch !== this.host.epoch) return Promise.resolve();
    return this.host.request('ABORT', [['transaction', this.id]], undefined);
  }

  private check(what: string): FerryError | undefined {
    if (this.finished) return new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `cannot ${what} transaction ${this.id}: it is already finished`);
    if (this.epoch !== this.host.epoch) {
      this.finished = true;
      return new FerryError(
        ErrorCodes.CLIENT_TRANSACTION_LOST,
        `transaction ${this.id} was open when the connection failed over; the broker rolled it back: begin a new one and do its work again`,
      );
    }
    return undefined;
  }
}
