/**
 * A WebSocket as a Duplex of bytes, so protocol heads treat TCP and WebSocket alike. Outbound
 * writes gathered in one tick (cork/uncork) go out as one text message: STOMP clients parse
 * frames incrementally, and ActiveMQ also sends STOMP as text. A batch that is not valid UTF-8
 * (a binary body) goes out as a binary message instead: RFC 6455 section 8.1 makes a client fail
 * the connection on a text message with invalid UTF-8.
 */
import { isUtf8 } from 'node:buffer';
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
      ws.send(chunk, { binary: !isUtf8(chunk) }, (err) => cb(err ?? null));
    },
    writev(chunks, cb) {
      const buf = chunks.length === 1 ? (chunks[0]!.chunk as Buffer) : Buffer.concat(chunks.map((c) => c.chunk as Buffer));
      ws.send(buf, { binary: !isUtf8(buf) }, (err) => cb(err ?? null));
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
