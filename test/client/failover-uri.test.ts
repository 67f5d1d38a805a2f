import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_FAILOVER_OPTIONS, parseClientUri, type ClientUri } from '../../src/client/index.js';
import { FerryError } from '../../src/errors.js';

function fails(uri: string): string {
  try {
    parseClientUri(uri);
  } catch (e) {
    assert.ok(e instanceof FerryError);
    assert.equal(e.code, 'CLIENT_INVALID_URI');
    return e.message;
  }
  assert.fail(`expected ${uri} to be rejected`);
}

const uris = (u: ClientUri): string[] => u.brokers.map((b) => b.uri);

test('client-uri: a plain stomp:// or tcp:// URI is one broker that never reconnects', () => {
  const u = parseClientUri('stomp://localhost:61613');
  assert.equal(u.failover, false);
  assert.deepEqual(u.brokers, [{ uri: 'stomp://localhost:61613', host: 'localhost', port: 61613, login: undefined, passcode: undefined }]);
  assert.equal(u.options.maxReconnectAttempts, 0);
  assert.equal(u.options.startupMaxReconnectAttempts, 0);
  // tcp:// is what ActiveMQ users copy: here it is STOMP over TCP. The port defaults to 61613.
  assert.deepEqual(uris(parseClientUri('tcp://10.0.0.1')), ['tcp://10.0.0.1:61613']);
  assert.deepEqual(uris(parseClientUri('stomp+nio://h:1/')), ['stomp+nio://h:1']);
});

test('client-uri: failover with parentheses, every option, and ActiveMQ defaults otherwise', () => {
  const u = parseClientUri(
    'failover:(stomp://a:61613,stomp://b:61614)?randomize=false&initialReconnectDelay=10&maxReconnectDelay=30000&useExponentialBackOff=true&backOffMultiplier=2&maxReconnectAttempts=-1&startupMaxReconnectAttempts=-1&timeout=-1',
  );
  assert.equal(u.failover, true);
  assert.deepEqual(uris(u), ['stomp://a:61613', 'stomp://b:61614']);
  assert.deepEqual(u.options, { ...DEFAULT_FAILOVER_OPTIONS, randomize: false });

  const other = parseClientUri(
    'failover:(stomp://a:1)?randomize=FALSE&initialReconnectDelay=50&maxReconnectDelay=2000&useExponentialBackOff=false&backOffMultiplier=1.5&maxReconnectAttempts=3&startupMaxReconnectAttempts=0&timeout=2500',
  );
  assert.deepEqual(other.options, {
    randomize: false,
    initialReconnectDelay: 50,
    maxReconnectDelay: 2000,
    useExponentialBackOff: false,
    backOffMultiplier: 1.5,
    maxReconnectAttempts: 3,
    startupMaxReconnectAttempts: 0,
    timeout: 2500,
  });
  assert.deepEqual(parseClientUri('failover:(stomp://a:1)').options, DEFAULT_FAILOVER_OPTIONS);
  assert.equal(DEFAULT_FAILOVER_OPTIONS.randomize, true);
});

test('client-uri: failover:// and failover: without parentheses', () => {
  assert.deepEqual(uris(parseClientUri('failover://(stomp://a:1,tcp://b:2)?randomize=false')), ['stomp://a:1', 'tcp://b:2']);
  assert.deepEqual(uris(parseClientUri('failover:stomp://a:1,stomp://b:2')), ['stomp://a:1', 'stomp://b:2']);
  assert.deepEqual(uris(parseClientUri('failover://stomp://a:1')), ['stomp://a:1']);
  assert.deepEqual(uris(parseClientUri(' failover:( stomp://a:1 , stomp://b:2 ) ')), ['stomp://a:1', 'stomp://b:2']);
  // Without parentheses a trailing query is the last broker's (ActiveMQ): failover options do not go there.
  assert.match(fails('failover:stomp://a:1,stomp://b:2?randomize=false'), /"randomize" is a failover option: write failover:\(stomp:\/\/host:port\)\?randomize=/);
});

test('client-uri: IPv6 in brackets, and a clear error without them', () => {
  const u = parseClientUri('failover:(stomp://[::1]:61613,stomp://[fe80::1]:1)');
  assert.deepEqual(u.brokers.map((b) => [b.host, b.port, b.uri]), [
    ['::1', 61613, 'stomp://[::1]:61613'],
    ['fe80::1', 1, 'stomp://[fe80::1]:1'],
  ]);
  assert.match(fails('stomp://::1:61613'), /IPv6 addresses go in brackets: "::1:61613" should be written \[host\]:port/);
  assert.match(fails('stomp://[nothost]:1'), /"\[nothost\]" is not an IPv6 address/);
});

test('client-uri: credentials from user info, ?login=&passcode=, or the failover query for every broker', () => {
  const [a] = parseClientUri('stomp://alice:s%3Acret@h:1').brokers;
  assert.deepEqual([a?.login, a?.passcode], ['alice', 's:cret']);
  const [b] = parseClientUri('stomp://h:1?login=bob&passcode=pw').brokers;
  assert.deepEqual([b?.login, b?.passcode], ['bob', 'pw']);
  const f = parseClientUri('failover:(stomp://h:1,stomp://carol:own@k:2)?login=dave&passcode=x');
  assert.deepEqual(f.brokers.map((x) => [x.login, x.passcode]), [['dave', 'x'], ['carol', 'own']]);
  // The URI shown in logs and events never carries credentials.
  assert.equal(f.brokers[1]?.uri, 'stomp://k:2');
  assert.match(fails('stomp://u@h:1?login=v'), /login is given twice/);
  assert.doesNotMatch(fails('stomp://u:topsecret@h:99999'), /topsecret/);
});

test('client-uri: unknown and unsupported options are errors that name the fix', () => {
  assert.match(fails('failover:(stomp://a:1)?maxReconectAttempts=3'), /unknown failover option "maxReconectAttempts" \(expected randomize, initialReconnectDelay/);
  assert.match(fails('failover:(stomp://a:1)?Randomize=false'), /did you mean "randomize"\?/);
  assert.match(fails('failover:(stomp://a:1)?trackMessages=true'), /ActiveMQ option "trackMessages" is not supported: unconfirmed persistent sends are always tracked/);
  assert.match(fails('failover:(stomp://a:1)?priorityBackup=true'), /not supported/);
  assert.match(fails('stomp://a:1?keepAlive=true'), /unknown broker URI "keepAlive" \(expected login, passcode\)/);
  assert.match(fails('stomp://a:1?randomize=false'), /is a failover option/);
  assert.match(fails('failover:(stomp://a:1)?randomize=false&randomize=true'), /given more than once/);
  assert.match(fails('failover:(stomp://a:1)?randomize'), /needs a value/);
  assert.match(fails('failover:(stomp://a:1)?x=%zz'), /malformed %-escape/);
});

test('client-uri: option values are checked', () => {
  assert.match(fails('failover:(stomp://a:1)?randomize=yes'), /"yes" is not true or false/);
  assert.match(fails('failover:(stomp://a:1)?initialReconnectDelay=-5'), /not a delay in ms/);
  assert.match(fails('failover:(stomp://a:1)?maxReconnectDelay=1e3'), /not a delay in ms/);
  assert.match(fails('failover:(stomp://a:1)?backOffMultiplier=0.5'), /not a number in 1\.\.1000/);
  assert.match(fails('failover:(stomp://a:1)?maxReconnectAttempts=-2'), /not -1 \(forever\) or a count/);
  assert.match(fails('failover:(stomp://a:1)?startupMaxReconnectAttempts=x'), /not -1 \(forever\) or a count/);
  assert.match(fails('failover:(stomp://a:1)?timeout=0'), /not -1 \(wait forever\) or a time in ms/);
});

test('client-uri: malformed URIs, schemes and ports', () => {
  assert.match(fails('localhost:61613'), /is not a broker URI \(expected stomp:\/\/host:port\)/);
  assert.match(fails('failover:(stomp://a:1'), /missing "\)"/);
  assert.match(fails('failover:(stomp://a:1)randomize=false'), /options go after "\?"/);
  assert.match(fails('failover:()'), /the broker list is empty/);
  assert.match(fails('failover:(stomp://a:1,,stomp://b:2)'), /empty entry/);
  assert.match(fails('ssl://a:1'), /scheme "ssl" is not usable: TLS/);
  assert.match(fails('ws://a:1'), /WebSocket is not supported by the client/);
  assert.match(fails('amqp://a:1'), /scheme "amqp" is unknown/);
  assert.match(fails('stomp://a:0'), /port "0" is out of range/);
  assert.match(fails('stomp://a:65536'), /out of range/);
  assert.match(fails('stomp://bad_host:1'), /"bad_host" is not a valid host name/);
  assert.match(fails('stomp://:1'), /missing host/);
  assert.match(fails('stomp://a:1/path'), /is not a broker URI/);
});
