/** Free TCP ports, for tests whose clients must know a broker's port before it listens (failover URIs, status probes). */
import { connect, createServer } from 'node:net';

/**
 * Ports for brokers that clients must know up front are picked at random below Linux's ephemeral
 * range (32768-60999), where port-0 listeners and outgoing connections of the other test files
 * running in parallel never land. A killed broker's port then stays out of their way: a failover
 * client reconnecting to it must not reach some other test's broker.
 */
const FIXED_PORT_MIN = 20_000;
const FIXED_PORT_MAX = 32_000;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port that was free a moment ago on 127.0.0.1 (see FIXED_PORT_MIN). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIXED_PORT_MIN + Math.floor(Math.random() * (FIXED_PORT_MAX - FIXED_PORT_MIN));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${FIXED_PORT_MIN}..${FIXED_PORT_MAX}`);
}

/** True when something accepts a TCP connection on 127.0.0.1:port. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls until the port accepts (true) or `timeoutMs` passes (false). */
export async function waitForPort(port: number, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}
