/**
 * A TCP proxy a test can break at will: drop one direction's bytes on the connections open now
 * (the broker gets a SEND but its RECEIPT never reaches the client), then cut them. New
 * connections always pass normally, so a failover client reconnects through the same proxy.
 */
import net from 'node:net';

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  dropUp: boolean;
  dropDown: boolean;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  /** Connections accepted so far. */
  accepted = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('proxy has no address');
    const proxy = new TcpProxy(server, address.port);
    server.on('connection', (client) => proxy.accept(client, targetPort, targetHost));
    return proxy;
  }

  private accept(client: net.Socket, port: number, host: string): void {
    this.accepted++;
    const upstream = net.connect(port, host);
    const pair: Pair = { client, upstream, dropUp: false, dropDown: false };
    this.pairs.add(pair);
    client.on('data', (d: Buffer) => {
      if (!pair.dropUp) upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (!pair.dropDown) client.write(d);
    });
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('close', end);
      s.on('error', end);
    }
  }

  /** From now on, bytes from the broker to the client on the open connections are dropped. */
  blackholeDownstream(): void {
    for (const p of this.pairs) p.dropDown = true;
  }

  /** From now on, bytes from the client to the broker on the open connections are dropped. */
  blackholeUpstream(): void {
    for (const p of this.pairs) p.dropUp = true;
  }

  /** Destroys every open connection, both sides at once (as a network failure would). */
  cut(): void {
    for (const p of [...this.pairs]) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
