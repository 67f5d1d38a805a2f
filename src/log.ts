/**
 * The one pino root logger. JSON lines go to stdout (`logging.stdout`) and to
 * `<dataDirectory>/ferrymq.log` (`logging.file`); components take `logger.child({ component })`.
 * Credentials that clients send (STOMP `passcode`, `password`, HTTP `authorization`) are redacted
 * wherever they appear up to three levels deep, so logging a frame's headers is always safe.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type DestinationStream, type Logger, type StreamEntry } from 'pino';
import { LOG_FILE_NAME } from './config/defaults.js';
import type { FerryConfig } from './config/types.js';

const SECRET_KEYS = ['passcode', 'password', 'authorization', 'Authorization'];
/** Top level, one and two levels down: covers `{ headers: { passcode } }` and `{ frame: { headers: {...} } }`. */
export const REDACTED_PATHS: readonly string[] = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** Async file writes are batched; this bounds what a crash can lose while staying off the hot path. */
const LOG_BUFFER_BYTES = 4096;

export interface FerryLogger {
  readonly logger: Logger;
  /** Write out buffered lines now (before process.exit). */
  flush(): void;
  /** Flush and close the log file; the logger must not be used afterwards. */
  close(): Promise<void>;
}

type SonicBoom = DestinationStream & {
  flushSync(): void;
  end(): void;
  once(event: 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
};

export function createLogger(config: FerryConfig): FerryLogger {
  const { level, file, stdout } = config.logging;
  const destinations: SonicBoom[] = [];
  const streams: StreamEntry[] = [];
  if (stdout) {
    // Synchronous stdout keeps lines in order with the CLI's own output and survives process.exit.
    const out = pino.destination({ dest: 1, sync: true }) as unknown as SonicBoom;
    streams.push({ level: 'trace', stream: out });
  }
  if (file) {
    mkdirSync(config.broker.dataDirectory, { recursive: true });
    const dest = join(config.broker.dataDirectory, LOG_FILE_NAME);
    const out = pino.destination({ dest, sync: false, minLength: LOG_BUFFER_BYTES, mkdir: true }) as unknown as SonicBoom;
    destinations.push(out);
    streams.push({ level: 'trace', stream: out });
  }

  const logger = pino(
    {
      level: streams.length === 0 ? 'silent' : level,
      base: { broker: config.broker.name, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    // Streams pass everything; the logger's own level filters (multistream's default is info).
    pino.multistream(streams),
  );

  let closed = false;
  const flush = (): void => {
    for (const d of destinations) {
      try {
        d.flushSync();
      } catch {
        // Not yet open (nothing written) or already closed: nothing to flush.
      }
    }
  };
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    flush();
    await Promise.all(
      destinations.map(
        (d) =>
          new Promise<void>((resolve) => {
            d.once('close', () => resolve());
            d.once('error', () => resolve());
            d.end();
          }),
      ),
    );
  };
  return { logger, flush, close };
}
