/**
 * Micro-benchmark for the STOMP codec (not a test): decode 1e6 small SEND frames fed in 64 KiB
 * chunks, as a socket would deliver them, and encode the same number of frames.
 * Run: npx tsc -p tsconfig.json && node dist/bench/codec-stomp.js [frames]
 */
import { StompDecoder } from '../src/protocols/stomp/codec/decoder.js';
import { encodeFrame } from '../src/protocols/stomp/codec/encoder.js';
import type { StompFrame } from '../src/protocols/stomp/codec/frame.js';

/** Typical socket read size: chunk boundaries then fall inside frames, as in production. */
const CHUNK_SIZE = 64 * 1024;
const DEFAULT_FRAMES = 1_000_000;

const frameCount = Number(process.argv[2] ?? DEFAULT_FRAMES);
const headers: [string, string][] = [
  ['destination', '/queue/orders.incoming'],
  ['content-type', 'text/plain'],
  ['persistent', 'true'],
  ['receipt', 'r-12345'],
];
const one = encodeFrame('SEND', headers, Buffer.from('hello, FerryMQ: a small message body'), '1.2');
const stream = Buffer.concat(Array.from({ length: frameCount }, () => one));
const chunks: Buffer[] = [];
for (let at = 0; at < stream.length; at += CHUNK_SIZE) chunks.push(stream.subarray(at, at + CHUNK_SIZE));

function decodeOnce(): number {
  const decoder = new StompDecoder({ maxFrameSize: 10 * 1024 * 1024, maxHeaders: 1000, maxHeaderLength: 64 * 1024 });
  decoder.setVersion('1.2');
  let frames = 0;
  let bodyBytes = 0;
  const onFrame = (frame: StompFrame): void => {
    frames++;
    bodyBytes += frame.body.length;
  };
  for (const chunk of chunks) {
    const error = decoder.push(chunk, onFrame);
    if (error !== undefined) throw new Error(`decode failed: ${error.message}`);
  }
  if (frames !== frameCount || bodyBytes === 0) throw new Error(`decoded ${frames} frames, expected ${frameCount}`);
  return frames;
}

function encodeOnce(): number {
  const body = Buffer.from('hello, FerryMQ: a small message body');
  let total = 0;
  for (let i = 0; i < frameCount; i++) total += encodeFrame('SEND', headers, body, '1.2').length;
  return total;
}

function time(label: string, run: () => number): void {
  run(); // warm-up: let the JIT settle before measuring
  const start = process.hrtime.bigint();
  run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = Math.round(frameCount / seconds);
  console.log(`${label}: ${frameCount} frames (${one.length} B each) in ${seconds.toFixed(3)} s = ${rate.toLocaleString('en-US')} frames/s`);
}

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
time('decode', decodeOnce);
time('encode', encodeOnce);
