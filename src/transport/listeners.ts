/**
 * TCP and WebSocket listeners. Each accepted connection becomes a Duplex handed to a protocol
 * head; the listener enforces maximumConnections and binds every address for 0.0.0.0 / ::.
 */
import net from 'node:net';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { FerryError, ErrorCodes } from '../errors.js';
import type { ListenerConfig } from '../config/types.js';
import type { BoundListener, StreamAcceptor, StreamMeta } from './api.js';
import { webSocketDuplex } from './ws-stream.js';
import type { TlsIdentity } from './tls-context.js';

/** STOMP subprotocols we accept over WebSocket, most preferred first. */
const WS_SUBPROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp', 'stomp'];

function remoteOf(address: string | undefined, port: number | undefined): string {
  return address?.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Listens on host:port. `0.0.0.0` and `::` bind the IPv6 wildcard with dual-stack so both
 * 127.0.0.1 and ::1 reach us (a client's `localhost` may resolve to either); hosts without IPv6
 * fall back to 0.0.0.0.
 */
async function listen(server: net.Server, host: string, port: number): Promise<void> {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const attempt = (opts: net.ListenOptions): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(opts, () => {
        server.off('error', onError);
        resolve();
      });
    });
  if (!wildcard) return attempt({ host, port });
  try {
    await attempt({ host: '::', port, ipv6Only: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err;
    await attempt({ host: '0.0.0.0', port });
  }
}

/** Server options for a TLS listener: the identity plus this listener's client-certificate policy. */
function tlsServerOptions(identity: TlsIdentity, cfg: ListenerConfig): tls.TlsOptions {
  const need = cfg.tls?.needClientAuth === true;
  const want = cfg.tls?.wantClientAuth === true;
  return { ...identity.options, requestCert: need || want, rejectUnauthorized: need };
}

/**
 * Logs a failed handshake with its reason (untrusted or expired certificate, no shared protocol,
 * not TLS at all) and the peer: the connection is dropped, the listener goes on.
 */
function watchHandshakes(server: tls.Server, cfg: ListenerConfig, log: Logger): void {
  server.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => {
    log.warn({ remote: remoteOf(socket.remoteAddress, socket.remotePort), uri: cfg.uri, code: err.code, reason: err.message }, 'TLS handshake failed; connection closed');
  });
}

/**
 * wantClientAuth: a client may come without a certificate, but one that shows a certificate the CA
 * did not sign is refused (as Java's SSLEngine does); Node would otherwise let it through unverified.
 */
function clientCertificateRefused(socket: tls.TLSSocket, cfg: ListenerConfig, log: Logger): boolean {
  if (!cfg.tls?.wantClientAuth || cfg.tls.needClientAuth || socket.authorized) return false;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return false;
  log.warn({ remote: remoteOf(socket.remoteAddress, socket.remotePort), uri: cfg.uri, reason: String(socket.authorizationError) }, 'client certificate not trusted; connection closed');
  socket.destroy();
  return true;
}

export async function startListener(cfg: ListenerConfig, head: StreamAcceptor, log: Logger, identity?: TlsIdentity): Promise<BoundListener> {
  if (cfg.tls && !identity) throw new Error(`${cfg.uri}: a TLS listener needs the tls section's certificate`);
  const live = new Set<Duplex>();
  const admit = (stream: Duplex, meta: StreamMeta): void => {
    if (live.size >= cfg.maximumConnections) {
      log.warn({ remote: meta.remote, limit: cfg.maximumConnections, uri: cfg.uri }, 'connection refused: maximumConnections reached');
      head.reject(stream, meta, new FerryError(ErrorCodes.TOO_MANY_CONNECTIONS, `too many connections (maximumConnections=${cfg.maximumConnections})`));
      return;
    }
    live.add(stream);
    stream.once('close', () => live.delete(stream));
    head.accept(stream, meta);
  };

  let server: net.Server;
  let wss: WebSocketServer | undefined;
  let unwatch: (() => void) | undefined;
  const secure = cfg.tls && identity ? identity : undefined;
  if (cfg.scheme === 'ws') {
    const refuse = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('FerryMQ: this port speaks STOMP over WebSocket\n');
    };
    let httpServer: http.Server;
    if (secure) {
      const httpsServer = https.createServer(tlsServerOptions(secure, cfg), refuse);
      watchHandshakes(httpsServer, cfg, log);
      unwatch = secure.onReload(() => httpsServer.setSecureContext(tlsServerOptions(secure, cfg)));
      httpServer = httpsServer;
    } else {
      httpServer = http.createServer(refuse);
    }
    wss = new WebSocketServer({
      server: httpServer,
      maxPayload: cfg.maxFrameSize + 1024,
      handleProtocols: (protocols) => WS_SUBPROTOCOLS.find((p) => protocols.has(p)) ?? false,
    });
    wss.on('connection', (ws, req) => {
      if (secure && clientCertificateRefused(req.socket as tls.TLSSocket, cfg, log)) return;
      req.socket.setNoDelay(true);
      admit(webSocketDuplex(ws), { remote: remoteOf(req.socket.remoteAddress, req.socket.remotePort), listener: cfg });
    });
    server = httpServer;
  } else if (secure) {
    const tlsServer = tls.createServer({ ...tlsServerOptions(secure, cfg), noDelay: true }, (socket) => {
      if (clientCertificateRefused(socket, cfg, log)) return;
      admit(socket, { remote: remoteOf(socket.remoteAddress, socket.remotePort), listener: cfg });
    });
    watchHandshakes(tlsServer, cfg, log);
    unwatch = secure.onReload(() => tlsServer.setSecureContext(tlsServerOptions(secure, cfg)));
    server = tlsServer;
  } else {
    server = net.createServer({ noDelay: true }, (socket) => {
      admit(socket, { remote: remoteOf(socket.remoteAddress, socket.remotePort), listener: cfg });
    });
  }
  await listen(server, cfg.host, cfg.port);
  const addr = server.address() as net.AddressInfo;
  return {
    uri: cfg.uri,
    // Shown in logs and `ferrymq status`: a TLS listener says so (openwire+tls, stomp+tls, ws+tls, auto+tls).
    scheme: cfg.tls ? `${cfg.scheme}+tls` : cfg.scheme,
    host: cfg.host,
    port: addr.port,
    connections: () => live.size,
    close: () =>
      new Promise<void>((resolve) => {
        unwatch?.();
        server.close(() => resolve());
        wss?.close();
        for (const s of live) s.destroy();
        if ('closeAllConnections' in server) (server as http.Server).closeAllConnections();
      }),
  };
}
