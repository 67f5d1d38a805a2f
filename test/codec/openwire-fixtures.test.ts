/**
 * Captured conversations between ActiveMQ's Java client and an ActiveMQ broker
 * (test/fixtures/openwire/<name>.c2s.bin and .s2c.bin): both directions must decode from the first
 * byte to the last, and re-encoding every decoded command with a fresh encoder in the negotiated
 * format must give back the captured bytes exactly, which proves the tight encoding, the loose
 * encoding and the marshalling cache match Java's byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  OpenWireDecoder, OpenWireEncoder, negotiate, type Command, type WireFormatInfo,
} from '../../src/protocols/openwire/codec/index.js';

// Compiled to dist/test/codec: the fixtures stay in the source tree.
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'openwire');

function fixtureNames(): string[] {
  if (!existsSync(FIXTURES)) return [];
  return readdirSync(FIXTURES).filter((f) => f.endsWith('.c2s.bin')).map((f) => f.slice(0, -'.c2s.bin'.length)).sort();
}

function firstWireFormatInfo(decoder: OpenWireDecoder, bytes: Buffer, what: string): WireFormatInfo {
  const r = decoder.push(bytes);
  if (!Array.isArray(r)) assert.fail(`${what}: ${r.kind}: ${r.message}`);
  const first = r[0];
  assert.equal(r.length, 1, `${what}: decoding stops after the first WireFormatInfo`);
  assert.ok(first !== undefined && first.type === 1, `${what}: the first frame is a WireFormatInfo`);
  return first;
}

/** Splits a stream into its size-prefixed frames. */
function frames(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < bytes.length;) {
    const end = pos + 4 + bytes.readInt32BE(pos);
    out.push(bytes.subarray(pos, end));
    pos = end;
  }
  return out;
}

test('openwire fixtures: the captured fixture directory is not empty', () => {
  assert.ok(fixtureNames().length > 0, `no *.c2s.bin captures in ${FIXTURES}: this test must not pass vacuously`);
});

for (const name of fixtureNames()) {
  test(`openwire fixtures: ${name} decodes completely and re-encodes byte for byte`, () => {
    const c2s = readFileSync(join(FIXTURES, `${name}.c2s.bin`));
    const s2c = readFileSync(join(FIXTURES, `${name}.s2c.bin`));
    const fromClient = new OpenWireDecoder({ maxFrameSize: 1 << 26 });
    const fromBroker = new OpenWireDecoder({ maxFrameSize: 1 << 26 });
    const clientInfo = firstWireFormatInfo(fromClient, c2s, 'client');
    const brokerInfo = firstWireFormatInfo(fromBroker, s2c, 'broker');
    const format = negotiate(brokerInfo, clientInfo);
    assert.deepEqual(negotiate(clientInfo, brokerInfo), { ...format, peerVersion: brokerInfo.version }, 'negotiation is symmetric');

    for (const [decoder, info, bytes, what] of [
      [fromClient, clientInfo, c2s, 'client -> broker'],
      [fromBroker, brokerInfo, s2c, 'broker -> client'],
    ] as const) {
      assert.equal(decoder.setFormat(format), undefined);
      const rest = decoder.push(Buffer.alloc(0));
      if (!Array.isArray(rest)) assert.fail(`${what}: ${rest.kind}: ${rest.message}`);
      assert.equal(decoder.bufferedBytes, 0, `${what}: every byte consumed`);
      const commands: Command[] = [info, ...rest];
      const captured = frames(bytes);
      assert.equal(commands.length, captured.length, `${what}: one command per frame`);

      const encoder = new OpenWireEncoder();
      const first = encoder.encodeWireFormatInfo(info);
      assert.deepEqual(first, captured[0], `${what}: WireFormatInfo re-encodes exactly`);
      encoder.setFormat(format);
      for (let i = 1; i < commands.length; i++) {
        const again = encoder.encode(commands[i] as Command);
        assert.deepEqual(again.toString('hex'), (captured[i] as Buffer).toString('hex'), `${what}: frame ${i} (type ${commands[i]?.type}) re-encodes exactly`);
      }
    }
  });
}
