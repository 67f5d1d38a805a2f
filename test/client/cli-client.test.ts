/** `ferrymq send` and `ferrymq consume` as real processes against a real broker. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { freePort } from '../helpers/ports.js';
import { runCli } from '../cli/cli-process.js';

let tb: TestBroker;
let direct: string;
before(async () => {
  tb = await startTestBroker();
  direct = `stomp://127.0.0.1:${tb.port}`;
});
after(() => tb.stop());

test('cli-client: send 100 persistent messages, consume them back as JSON through a failover URI', async () => {
  const send = await runCli(['send', '--uri', direct, '/queue/cli.json', '--count', '100', '--persistent', '--body', 'hello', '--header', 'kind=greeting']);
  assert.equal(send.code, 0, send.stderr);
  assert.match(send.stdout, /^sent 100 persistent messages to \/queue\/cli\.json in \d+\.\d\d s \(\d+ msgs\/s\)\n$/);
  assert.equal(tb.broker.core.queues.get('queue://cli.json')?.depth, 100);

  // The first broker of the list is down: the consumer fails over to the running one.
  const down = await freePort();
  const uri = `failover:(stomp://127.0.0.1:${down},stomp://127.0.0.1:${tb.port})?randomize=false&initialReconnectDelay=10`;
  const consume = await runCli(['consume', '--uri', uri, 'queue://cli.json', '--count', '100', '--json']);
  assert.equal(consume.code, 0, consume.stderr);
  const lines = consume.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 100);
  for (const line of lines) {
    const m = JSON.parse(line) as { destination: string; messageId: string; headers: Record<string, string>; body: string };
    assert.equal(m.body, 'hello');
    assert.equal(m.destination, '/queue/cli.json');
    assert.equal(m.headers['persistent'], 'true');
    assert.equal(m.headers['kind'], 'greeting');
    assert.equal(m.headers['message-id'], m.messageId);
  }
  assert.equal(new Set(lines.map((l) => (JSON.parse(l) as { messageId: string }).messageId)).size, 100);
  assert.equal(tb.broker.core.queues.get('queue://cli.json')?.depth, 0, 'every printed message was acked');
});

test('cli-client: bodies from stdin, whole or one message per line; consume prints them one per line', async () => {
  const lines = await runCli(['send', '--uri', direct, 'cli.stdin', '--lines'], { input: 'one\ntwo\r\nthree\n' });
  assert.equal(lines.code, 0, lines.stderr);
  assert.match(lines.stdout, /^sent 3 messages to \/queue\/cli\.stdin /);
  const whole = await runCli(['send', '--uri', direct, 'cli.stdin'], { input: 'first line\nsecond line' });
  assert.equal(whole.code, 0, whole.stderr);
  const consume = await runCli(['consume', '--uri', direct, 'cli.stdin', '--count', '4']);
  assert.equal(consume.code, 0, consume.stderr);
  assert.equal(consume.stdout, 'one\ntwo\nthree\nfirst line\nsecond line\n');
  assert.equal(consume.stderr, '', 'no progress on stderr when it is not a terminal');
});

test('cli-client: consume --timeout ends a silent run: fine without --count, a failure when --count is not reached', async () => {
  const idle = await runCli(['consume', '--uri', direct, '/queue/cli.empty', '--timeout', '200']);
  assert.deepEqual([idle.code, idle.stdout], [0, '']);
  await runCli(['send', '--uri', direct, '/queue/cli.short', '--body', 'only one', '--header', 'n=1']);
  const short = await runCli(['consume', '--uri', direct, '/queue/cli.short', '--count', '2', '--timeout', '300', '--selector', 'n = 1']);
  assert.equal(short.code, 1);
  assert.equal(short.stdout, 'only one\n');
  assert.match(short.stderr, /no message for 300 ms; received 1 of 2/);
});

test('cli-client: bad command lines and URIs are usage errors (64); an unreachable broker is a failure (1)', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['send'], /send needs a DESTINATION/],
    [['send', 'q', '--json'], /send does not take --json/],
    [['consume', 'q', '--persistent'], /consume does not take --persistent/],
    [['consume', 'q', '--ack', 'client-individual'], /--ack must be auto or client/],
    [['send', 'q', '--count', '0'], /--count must be a whole number of at least 1/],
    [['send', 'q', '--body', 'x', '--file', 'y'], /give --body or --file, not both/],
    [['send', 'q', '--header', 'novalue'], /--header "novalue" is not KEY=VALUE/],
    [['status', '--uri', direct], /--uri is an option of send and consume, not status/],
    [['send', 'q', '--uri', 'failover:(stomp://a:1)?trackMessages=true', '--body', 'x'], /ActiveMQ option "trackMessages" is not supported/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args)));
  cases.forEach(([args, message], i) => {
    const r = results[i];
    assert.equal(r?.code, 64, `${args.join(' ')}: ${r?.stderr}`);
    assert.match(r.stderr, message);
  });
  const unreachable = await runCli(['send', '--uri', `stomp://127.0.0.1:${await freePort()}`, 'q', '--body', 'x']);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /cannot connect to stomp:\/\/127\.0\.0\.1:\d+/);
});
