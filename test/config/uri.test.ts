import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig } from '../../src/config/load.js';
import type { ListenerConfig } from '../../src/config/types.js';
import { parseListenerUri } from '../../src/transport/uri.js';

const defaults = defaultConfig();
const stomp = defaults.stomp;

function ok(uri: string): ListenerConfig {
  const parsed = parseListenerUri(uri, defaults);
  assert.equal(typeof parsed, 'object', `expected ${uri} to parse, got: ${String(parsed)}`);
  return parsed as ListenerConfig;
}

function fails(uri: string): string {
  const parsed = parseListenerUri(uri, defaults);
  assert.equal(typeof parsed, 'string', `expected ${uri} to be rejected`);
  return parsed as string;
}

test('uri: stomp and ws with host and port, defaults from the stomp section', () => {
  assert.deepEqual(ok('stomp://0.0.0.0:61613'), {
    uri: 'stomp://0.0.0.0:61613',
    scheme: 'stomp',
    host: '0.0.0.0',
    port: 61613,
    maximumConnections: 1000,
    maxFrameSize: stomp.maxFrameSize,
    maxHeaders: stomp.maxHeaders,
    maxHeaderLength: stomp.maxHeaderLength,
    openwire: defaults.openwire,
  });
  const ws = ok('ws://localhost:8080');
  assert.deepEqual([ws.scheme, ws.host, ws.port], ['ws', 'localhost', 8080]);
  assert.equal(ok('stomp://broker-1.example.com:0').port, 0);
});

test('uri: the default port per scheme applies when omitted', () => {
  assert.equal(ok('stomp://0.0.0.0').port, 61613);
  assert.equal(ok('ws://0.0.0.0').port, 61614);
  assert.equal(ok('stomp+nio://0.0.0.0/').port, 61613);
});

test('uri: stomp+nio is an alias of stomp and schemes are case-insensitive', () => {
  const nio = ok('stomp+nio://0.0.0.0:61613?maximumConnections=10');
  assert.equal(nio.scheme, 'stomp');
  assert.equal(nio.uri, 'stomp+nio://0.0.0.0:61613?maximumConnections=10'); // kept as written
  assert.equal(ok('STOMP://0.0.0.0:1').scheme, 'stomp');
});

test('uri: IPv6 hosts are written in brackets and stored without them', () => {
  assert.equal(ok('stomp://[::]:61613').host, '::');
  assert.equal(ok('ws://[::1]').host, '::1');
  assert.equal(ok('stomp://[fe80::1:2]:5').host, 'fe80::1:2');
  assert.match(fails('stomp://[nonsense]:5'), /"\[nonsense\]" is not an IPv6 address/);
  assert.match(fails('stomp://::1:5'), /IPv6 addresses go in brackets/);
});

test('uri: options set connection and frame limits', () => {
  const l = ok(
    'stomp://0.0.0.0:61613?maximumConnections=50&wireFormat.maxFrameSize=10485760&wireFormat.maxHeaders=20&wireFormat.maxHeaderLength=2kb',
  );
  assert.deepEqual([l.maximumConnections, l.maxFrameSize, l.maxHeaders, l.maxHeaderLength], [50, 10485760, 20, 2048]);
  // ActiveMQ's name for the frame limit.
  assert.equal(ok('ws://0.0.0.0:1?wireFormat.maxDataLength=1mb').maxFrameSize, 1024 * 1024);
});

test('uri: unknown, repeated, empty and out-of-range options are errors naming the option', () => {
  assert.match(fails('stomp://0.0.0.0:1?maximumConnection=10'), /^unknown option "maximumConnection" \(expected maximumConnections, /);
  assert.match(fails('stomp://0.0.0.0:1?maximumconnections=10'), /did you mean "maximumConnections"\?/);
  assert.match(fails('stomp://0.0.0.0:1?transport.closeAsync=false'), /unknown option "transport.closeAsync"/);
  assert.match(
    fails('stomp://0.0.0.0:1?wireFormat.maxFrameSize=1mb&wireFormat.maxDataLength=2mb'),
    /option "wireFormat.maxDataLength" given more than once/,
  );
  assert.match(fails('stomp://0.0.0.0:1?maximumConnections='), /option "maximumConnections" needs a value/);
  assert.match(fails('stomp://0.0.0.0:1?maximumConnections=0'), /"0" is not an integer in 1\.\./);
  assert.match(fails('stomp://0.0.0.0:1?maximumConnections=-3'), /"-3" is not an integer/);
  assert.match(fails('stomp://0.0.0.0:1?wireFormat.maxFrameSize=big'), /"big" is not a size/);
  assert.match(fails('stomp://0.0.0.0:1?wireFormat.maxFrameSize=%zz'), /malformed %-escape/);
});

test('uri: bad schemes, hosts, ports and shapes are errors', () => {
  assert.equal(fails('stomp+nio2://0.0.0.0:1'), 'unknown scheme "stomp+nio2" (expected tcp, nio, auto, auto+nio, stomp, stomp+nio, ws, ssl, nio+ssl, auto+ssl, auto+nio+ssl, stomp+ssl, stomp+nio+ssl, wss)');
  assert.match(fails('amqp://0.0.0.0:5672'), /^scheme "amqp" is not supported yet/);
  assert.match(fails('stomp://0.0.0.0:65536'), /port "65536" is out of range \(0\.\.65535\)/);
  assert.match(fails('stomp://0.0.0.0:-1'), /port "-1" is out of range/);
  assert.match(fails('stomp://0.0.0.0:http'), /port "http" is out of range/);
  assert.match(fails('stomp://:61613'), /missing host/);
  assert.match(fails('stomp://bad_host:1'), /"bad_host" is not a valid host name/);
  assert.match(fails('stomp://300.1.1.1:1'), /"300.1.1.1" is not a valid IPv4 address/);
  assert.match(fails('stomp://0.0.0.0:1/path'), /no path/);
  assert.match(fails('0.0.0.0:61613'), /is not a listener URI/);
  assert.match(fails(''), /is not a listener URI/);
});

test('uri: tcp:// and nio:// are OpenWire on 61616, auto:// detects the protocol; wireFormat options set OpenWire settings', () => {
  const tcp = ok('tcp://0.0.0.0');
  assert.deepEqual([tcp.scheme, tcp.port], ['openwire', 61616]);
  assert.deepEqual(tcp.openwire, defaults.openwire);
  assert.equal(ok('nio://0.0.0.0:1').scheme, 'openwire');
  assert.deepEqual([ok('auto://0.0.0.0').scheme, ok('auto+nio://0.0.0.0:5').scheme], ['auto', 'auto']);
  const l = ok(
    'tcp://0.0.0.0:61616?maximumConnections=7&wireFormat.maxFrameSize=1048576&wireFormat.maxInactivityDuration=5000&wireFormat.maxInactivityDurationInitalDelay=1s&wireFormat.tightEncodingEnabled=false&wireFormat.cacheEnabled=false&wireFormat.cacheSize=16&wireFormat.stackTraceEnabled=false&wireFormat.tcpNoDelayEnabled=true&wireFormat.sizePrefixDisabled=false',
  );
  assert.equal(l.maximumConnections, 7);
  assert.deepEqual(l.openwire, {
    ...defaults.openwire,
    maxFrameSize: 1048576,
    maxInactivityDuration: 5000,
    maxInactivityDurationInitalDelay: 1000,
    tightEncodingEnabled: false,
    cacheEnabled: false,
    cacheSize: 16,
    stackTraceEnabled: false,
  });
  // auto:// takes both protocols' options; one frame limit for both.
  const auto = ok('auto://0.0.0.0:1?wireFormat.maxFrameSize=2mb&wireFormat.maxHeaders=9');
  assert.deepEqual([auto.maxFrameSize, auto.openwire.maxFrameSize, auto.maxHeaders], [2 * 1024 * 1024, 2 * 1024 * 1024, 9]);
  assert.match(fails('tcp://0.0.0.0:1?wireFormat.maxHeaders=3'), /unknown option "wireFormat.maxHeaders"/);
  assert.match(fails('stomp://0.0.0.0:1?wireFormat.cacheEnabled=false'), /unknown option "wireFormat.cacheEnabled"/);
  assert.match(fails('tcp://0.0.0.0:1?wireFormat.cacheenabled=false'), /did you mean "wireFormat.cacheEnabled"/);
  assert.match(fails('tcp://0.0.0.0:1?wireFormat.cacheEnabled=yes'), /"wireFormat.cacheEnabled": expected true or false/);
  assert.match(fails('tcp://0.0.0.0:1?wireFormat.cacheSize=0'), /"wireFormat.cacheSize": 0 is out of range/);
  assert.match(fails('tcp://0.0.0.0:1?wireFormat.sizePrefixDisabled=true'), /only false is supported/);
  assert.match(fails('tcp://0.0.0.0:1?wireFormat.maxInactivityDuration=soon'), /wireFormat.maxInactivityDuration/);
});

test('uri: TLS schemes with their default ports and client-certificate options', () => {
  for (const [uri, scheme, port] of [
    ['ssl://0.0.0.0', 'openwire', 61617],
    ['nio+ssl://0.0.0.0', 'openwire', 61617],
    ['auto+ssl://0.0.0.0', 'auto', 61617],
    ['stomp+ssl://0.0.0.0', 'stomp', 61612],
    ['stomp+nio+ssl://0.0.0.0', 'stomp', 61612],
    ['wss://0.0.0.0', 'ws', 61614],
  ] as const) {
    const l = ok(uri);
    assert.deepEqual([l.scheme, l.port, l.tls], [scheme, port, { needClientAuth: false, wantClientAuth: false }], uri);
  }
  assert.deepEqual(ok('ssl://0.0.0.0:1?needClientAuth=true').tls, { needClientAuth: true, wantClientAuth: false });
  assert.deepEqual(ok('stomp+ssl://0.0.0.0:1?wantClientAuth=true&maximumConnections=3').tls, { needClientAuth: false, wantClientAuth: true });
  assert.equal(ok('tcp://0.0.0.0:1').tls, undefined);
  assert.match(fails('tcp://0.0.0.0:1?needClientAuth=true'), /unknown option "needClientAuth"/);
  assert.match(fails('ssl://0.0.0.0:1?needClientAuth=yes'), /"needClientAuth": expected true or false/);
});
