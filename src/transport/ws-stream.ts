/**
 * A WebSocket as a Duplex of bytes, so protocol heads treat TCP and WebSocket alike. Outbound
 * writes gathered in one tick (cork/uncork) go out as one text message: STOMP clients parse
 * frames incrementally, and ActiveMQ also sends STOMP as text.
 */
import { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export function webSocketDuplex(ws: WebSocket): Duplex {
  const duplex = new Duplex({
    read() {
      ws.resume?.();
    },
    write(chunk: Buffer, _enc, cb) {
      ws.send(chunk, { binary: false }, (err) => cb(err ?? null));
    },
    writev(chunks, cb) {
      const buf = chunks.length === 1 ? (chunks[0]!.chunk as Buffer) : Buffer.concat(chunks.map((c) => c.chunk as Buffer));
      ws.send(buf, { binary: false }, (err) => cb(err ?? null));
    },
    final(cb) {
      ws.close(1000);
      cb();
    },
    destroy(err, cb) {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate();
      cb(err);
    },
  });
  ws.on('message', (data) => {
    if (!duplex.push(toBuffer(data))) ws.pause?.();
  });
  ws.on('close', () => {
    duplex.push(null);
    duplex.destroy();
  });
  ws.on('error', (err) => duplex.destroy(err));
  return duplex;
}
