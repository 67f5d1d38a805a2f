/**
 * A wait that an AbortSignal cuts short: resolves after `ms`, or rejects with the signal's reason
 * (an AbortError DOMException unless the caller gave one) as soon as it aborts. Used by the
 * locks' polling and the SQL store's connect back-off, so close() or a caller's abort never
 * waits out a long back-off.
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
