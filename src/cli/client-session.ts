/**
 * What `ferrymq send` and `ferrymq consume` share: connecting (a bad URI is a usage error, an
 * unreachable broker a failure) and telling the operator on stderr while the client retries or
 * fails over (never on stdout: that carries data).
 */
import { FerryClient } from '../client/index.js';
import { ErrorCodes, isFerryError } from '../errors.js';
import { ExitCode } from './args.js';

/** Retries closer together than this are not worth a line each: ActiveMQ's back-off starts at 10 ms. */
const QUIET_RETRY_MS = 1000;

/** The connected client, or the exit code after the problem was printed. */
export async function openClient(uri: string): Promise<FerryClient | number> {
  let client: FerryClient;
  try {
    client = new FerryClient(uri);
    client.on('reconnecting', (attempt, delay, lastError) => {
      // After a loss the first pass has no failure to report yet ('disconnected' said enough).
      if (lastError === undefined || (attempt > 1 && delay < QUIET_RETRY_MS)) return;
      console.error(`ferrymq: ${lastError?.message ?? 'not connected'}; retrying in ${delay} ms (attempt ${attempt})`);
    });
    await client.open();
  } catch (e) {
    console.error(`ferrymq: ${errorText(e)}`);
    return isFerryError(e) && e.code === ErrorCodes.CLIENT_INVALID_URI ? ExitCode.USAGE : ExitCode.FAILURE;
  }
  client.on('disconnected', (reason) => console.error(`ferrymq: ${reason.message}; reconnecting`));
  client.on('connected', (to) => console.error(`ferrymq: connected to ${to}`));
  return client;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
