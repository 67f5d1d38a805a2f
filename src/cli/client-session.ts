/**
 * What `ferrymq send` and `ferrymq consume` share: connecting (a bad URI is a usage error, an
 * unreachable broker a failure) and telling the operator on stderr when the connection fails over.
 */
import { FerryClient } from '../client/index.js';
import { ErrorCodes, isFerryError } from '../errors.js';
import { ExitCode } from './args.js';

/** The connected client, or the exit code after the problem was printed. */
export async function openClient(uri: string): Promise<FerryClient | number> {
  let client: FerryClient;
  try {
    client = await FerryClient.connect(uri);
  } catch (e) {
    console.error(`ferrymq: ${errorText(e)}`);
    return isFerryError(e) && e.code === ErrorCodes.CLIENT_INVALID_URI ? ExitCode.USAGE : ExitCode.FAILURE;
  }
  // Failover is worth a line on stderr (never stdout: that carries data).
  client.on('disconnected', (reason) => console.error(`ferrymq: ${reason.message}; reconnecting`));
  client.on('connected', (to) => console.error(`ferrymq: connected to ${to}`));
  return client;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
