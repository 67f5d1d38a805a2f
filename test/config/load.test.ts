import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import * as D from '../../src/config/defaults.js';
import { ConfigError, configFromEnv, configFromObject, defaultConfig, loadConfigFile } from '../../src/config/load.js';
import { ErrorCodes, isFerryError } from '../../src/errors.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferrymq-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Runs `fn`, which must throw a ConfigError, and returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.ok(isFerryError(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

test('config: an empty file gives every default, with named constants', async () => {
  const config = loadConfigFile(await file('empty.yaml', ''), {});
  assert.equal(config.broker.name, 'localhost');
  assert.equal(config.broker.dataDirectory, resolve('./data'));
  assert.deepEqual(
    config.listeners.map((l) => [l.scheme, l.host, l.port, l.maximumConnections, l.maxFrameSize]),
    [
      ['openwire', '0.0.0.0', 61616, 1000, 104857600],
      ['stomp', '0.0.0.0', 61613, 1000, 104857600],
      ['ws', '0.0.0.0', 61614, 1000, 104857600],
    ],
  );
  assert.deepEqual(config.openwire, {
    maxFrameSize: 104857600,
    maxInactivityDuration: 30_000,
    maxInactivityDurationInitalDelay: 10_000,
    tightEncodingEnabled: true,
    cacheEnabled: true,
    cacheSize: 1024,
    stackTraceEnabled: true,
    connectTimeout: 30_000,
    producerWindow: D.DEFAULT_PRODUCER_WINDOW,
  });
  assert.deepEqual(config.stomp, {
    maxFrameSize: 104857600,
    maxHeaders: 1000,
    maxHeaderLength: 10240,
    heartbeatMinimum: D.DEFAULT_HEARTBEAT_MINIMUM,
    heartbeatGraceFactor: 2,
    connectTimeout: 30_000,
    producerWindow: D.DEFAULT_PRODUCER_WINDOW,
  });
  assert.deepEqual(config.store, {
    type: 'journal',
    journal: { segmentSize: 32 * 1024 * 1024, sync: true },
    url: '',
    pool: D.DEFAULT_SQL_POOL,
    tablePrefix: 'FERRYMQ_',
    producerAudit: D.DEFAULT_PRODUCER_AUDIT,
  });
  assert.deepEqual(config.ha, { lock: 'auto', lease: 5000, renewInterval: 1000, fenceMargin: 1000, retryInterval: 250 });
  assert.deepEqual(config.destinations, { queuePrefetch: D.DEFAULT_QUEUE_PREFETCH, topicPrefetch: 32766 });
  assert.deepEqual(config.logging, { level: 'info', file: true, stdout: true });
  assert.deepEqual(config.limits, { memory: 0, store: 0, temp: 0 }, 'auto');
  assert.deepEqual(config.policies, []);
  assert.ok(config.source?.endsWith('empty.yaml'));
  assert.deepEqual({ ...defaultConfig(), source: config.source }, config);
});

test('config: a full file is converted to bytes, milliseconds and listener objects', async () => {
  const path = await file(
    'full.yaml',
    `broker:
  name: hub
  dataDirectory: /var/lib/ferrymq
listeners:
  - uri: stomp://127.0.0.1:0?maximumConnections=5&wireFormat.maxFrameSize=1mb
  - uri: ws://[::1]:8080
stomp:
  maxFrameSize: 10mb
  maxHeaders: 50
  maxHeaderLength: 4kb
  heartbeatMinimum: 250ms
  heartbeatGraceFactor: 1.5
  connectTimeout: 1m
store:
  type: memory
  journal: { segmentSize: 64KB, sync: false }
destinations: { queuePrefetch: 1, topicPrefetch: 0 }
limits: { memory: 256mb, store: auto, temp: 5gb }
policies:
  - { match: "queue://orders.>", deadLetter: individual, redeliveryDelay: 2s }
logging: { level: debug, file: false, stdout: false }
`,
  );
  const config = loadConfigFile(path, {});
  assert.deepEqual(config.broker, { name: 'hub', dataDirectory: '/var/lib/ferrymq' });
  assert.deepEqual(config.listeners[0], {
    uri: 'stomp://127.0.0.1:0?maximumConnections=5&wireFormat.maxFrameSize=1mb',
    scheme: 'stomp',
    host: '127.0.0.1',
    port: 0,
    maximumConnections: 5,
    maxFrameSize: 1024 * 1024,
    maxHeaders: 50,
    maxHeaderLength: 4096,
    openwire: { ...config.openwire, maxFrameSize: 1024 * 1024 },
  });
  // The second listener takes its limits from the stomp section.
  assert.deepEqual(config.listeners[1], {
    uri: 'ws://[::1]:8080',
    scheme: 'ws',
    host: '::1',
    port: 8080,
    maximumConnections: 1000,
    maxFrameSize: 10 * 1024 * 1024,
    maxHeaders: 50,
    maxHeaderLength: 4096,
    openwire: config.openwire,
  });
  assert.equal(config.stomp.heartbeatMinimum, 250);
  assert.equal(config.stomp.heartbeatGraceFactor, 1.5);
  assert.equal(config.stomp.connectTimeout, 60_000);
  assert.deepEqual(config.store.journal, { segmentSize: 65536, sync: false });
  assert.equal(config.store.type, 'memory');
  assert.deepEqual(config.destinations, { queuePrefetch: 1, topicPrefetch: 0 });
  assert.deepEqual(config.logging, { level: 'debug', file: false, stdout: false });
  assert.deepEqual(config.limits, { memory: 256 * 1024 * 1024, store: 0, temp: 5 * 1024 ** 3 });
  assert.deepEqual(config.policies, [{ match: 'queue://orders.>', deadLetter: 'individual', redeliveryDelay: 2000 }]);
});

test('config: an unknown key is reported with file, line, column and key path', async () => {
  const path = await file('unknown.yaml', 'broker:\n  name: hub\n\nstomp:\n  maxFrameSize: 1mb\n  maxFramSize: 2mb\n');
  const e = configError(() => loadConfigFile(path, {}));
  assert.equal(e.code, ErrorCodes.CONFIG_INVALID);
  assert.deepEqual(e.problems, [`${path}:6:3: stomp.maxFramSize: unknown key "maxFramSize" (expected maxFrameSize, maxHeaders, maxHeaderLength, heartbeatMinimum, heartbeatGraceFactor, connectTimeout, producerWindow)`]);
  assert.equal(e.message, e.problems[0]);
});

test('config: several problems are all reported, in file order, in one error', async () => {
  const path = await file(
    'many.yaml',
    `logging:
  level: loud
listeners:
  - uri: stomp://0.0.0.0:61613
  - uri: mqtt://0.0.0.0:1883
  - uri: ws://0.0.0.0:70000
  - port: 5
stomp:
  maxFrameSize: -1
  heartbeatMinimum: soon
store: { type: kahadb }
`,
  );
  const e = configError(() => loadConfigFile(path, {}));
  assert.deepEqual(
    e.problems.map((p) => p.slice(path.length + 1)),
    [
      '2:3: logging.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      '5:5: listeners[1].uri: scheme "mqtt" is not supported yet (expected tcp, nio, auto, auto+nio, stomp, stomp+nio, ws, ssl, nio+ssl, auto+ssl, auto+nio+ssl, stomp+ssl, stomp+nio+ssl, wss)',
      '6:5: listeners[2].uri: port "70000" is out of range (0..65535)',
      '7:5: listeners[3].port: unknown key "port" (expected uri)',
      '7:5: listeners[3].uri: missing required key',
      '9:3: stomp.maxFrameSize: sizes cannot be negative, got -1',
      '10:3: stomp.heartbeatMinimum: expected a duration like 500ms, 5s or 1m, got "soon"',
      '11:10: store.type: expected one of journal, memory, postgres, mysql, got "kahadb"',
    ],
  );
});

test('config: two listeners on one port are rejected before bind time', async () => {
  const path = await file('clash.yaml', 'listeners:\n  - uri: stomp://0.0.0.0:61613\n  - uri: ws://127.0.0.1:61613\n');
  const e = configError(() => loadConfigFile(path, {}));
  assert.deepEqual(e.problems, [`${path}:3:5: listeners[1].uri: port 61613 is already used by listeners[0]`]);
  // Port 0 never clashes: each bind picks its own free port.
  assert.equal(configFromObject({ listeners: [{ uri: 'stomp://0.0.0.0:0' }, { uri: 'ws://0.0.0.0:0' }] }).listeners.length, 2);
});

test('config: wrong shapes at the top level and in sections are errors with a position', async () => {
  const path = await file('list.yaml', '- a\n- b\n');
  assert.deepEqual(configError(() => loadConfigFile(path, {})).problems, [`${path}:1:1: (top level): expected a mapping, got a list`]);
  const section = await file('section.yaml', 'listeners: stomp://0.0.0.0:61613\n');
  assert.deepEqual(configError(() => loadConfigFile(section, {})).problems, [
    `${section}:1:1: listeners: expected a list, got "stomp://0.0.0.0:61613"`,
  ]);
});

test('config: unreadable files and YAML syntax errors are CONFIG_UNREADABLE with a line', async () => {
  const missing = configError(() => loadConfigFile(join(dir, 'nope.yaml'), {}));
  assert.equal(missing.code, ErrorCodes.CONFIG_UNREADABLE);
  assert.match(missing.message, /nope\.yaml: cannot read config file \(ENOENT\)/);

  const broken = await file('broken.yaml', 'broker:\n  name: hub\n  name: again\n');
  const dup = configError(() => loadConfigFile(broken, {}));
  assert.equal(dup.code, ErrorCodes.CONFIG_UNREADABLE);
  assert.match(dup.message, new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:3: .*unique`));

  const unclosed = await file('unclosed.yaml', 'stomp:\n  maxHeaders: [1, 2\n');
  const syntax = configError(() => loadConfigFile(unclosed, {}));
  assert.equal(syntax.code, ErrorCodes.CONFIG_UNREADABLE);
  assert.match(syntax.message, /unclosed\.yaml:\d+:\d+: /);
});

test('config: environment overrides apply after the file and are validated', async () => {
  const path = await file('env.yaml', 'broker:\n  name: from-file\n  dataDirectory: /from/file\nlogging:\n  level: warn\n');
  const config = loadConfigFile(path, { FERRYMQ_DATA: 'rel/data', FERRYMQ_LOG_LEVEL: 'debug', FERRYMQ_BROKER_NAME: 'from-env' });
  assert.equal(config.broker.name, 'from-env');
  assert.equal(config.broker.dataDirectory, resolve('rel/data'));
  assert.equal(config.logging.level, 'debug');
  // Empty variables are ignored, like unset ones.
  assert.equal(loadConfigFile(path, { FERRYMQ_BROKER_NAME: '' }).broker.name, 'from-file');

  const e = configError(() => loadConfigFile(path, { FERRYMQ_LOG_LEVEL: 'chatty' }));
  assert.deepEqual(e.problems, ['FERRYMQ_LOG_LEVEL (environment): logging.level: expected one of fatal, error, warn, info, debug, trace, silent, got "chatty"']);

  const noFile = configFromEnv({ FERRYMQ_DATA: '/x', FERRYMQ_LOG_LEVEL: 'error' });
  assert.equal(noFile.broker.dataDirectory, '/x');
  assert.equal(noFile.logging.level, 'error');
  assert.equal(noFile.broker.name, 'localhost');
});

test('config: store and ha rules between keys are checked, and FERRYMQ_STORE_URL sets the URL', async () => {
  const sql = await file('sql.yaml', 'store:\n  type: postgres\nha:\n  lease: 2s\n  fenceMargin: 500ms\n  renewInterval: 1s\n');
  const e = configError(() => loadConfigFile(sql, {}));
  assert.deepEqual(
    e.problems.map((p) => p.slice(sql.length + 1)),
    [
      '1:1: store.url: store.type postgres needs a url (or FERRYMQ_STORE_URL)',
      '6:3: ha.renewInterval: at most half of ha.lease - ha.fenceMargin (750 ms), so one failed renewal does not cost the lease',
    ],
  );
  const pg = await file('pg.yaml', 'store:\n  type: postgres\n');
  const fromEnv = loadConfigFile(pg, { FERRYMQ_STORE_URL: 'postgres://u:secret@db.example:5432/broker' }).store;
  assert.equal(fromEnv.url, 'postgres://u:secret@db.example:5432/broker');
  const wrong = await file('wrong.yaml', 'store:\n  type: mysql\n  url: postgres://u@h/db\nha:\n  lock: database\n  fenceMargin: 5s\n');
  assert.deepEqual(
    configError(() => loadConfigFile(wrong, {})).problems.map((p) => p.slice(wrong.length + 1)),
    ['3:3: store.url: store.type mysql needs a mysql:// URL', '6:3: ha.fenceMargin: must be shorter than ha.lease (5000 ms)'],
  );
  const lockless = await file('lockless.yaml', 'store:\n  type: journal\nha:\n  lock: database\n');
  assert.deepEqual(configError(() => loadConfigFile(lockless, {})).problems, [
    `${lockless}:4:3: ha.lock: a database lock needs store.type postgres or mysql (store.type is journal)`,
  ]);
  const badUrl = await file('badurl.yaml', 'store:\n  type: postgres\n  url: "postgres://host-only"\n');
  assert.deepEqual(configError(() => loadConfigFile(badUrl, {})).problems, [`${badUrl}:3:3: store.url: the URL names no database (…/DB)`]);
});

test('config: relative dataDirectory resolves against the working directory', async () => {
  const config = configFromObject({ broker: { dataDirectory: 'var/ferry' } });
  assert.equal(config.broker.dataDirectory, join(process.cwd(), 'var/ferry'));
});

test('config: configFromObject validates plain objects and names the source', () => {
  const config = configFromObject({ stomp: { maxFrameSize: 2048, connectTimeout: 250 }, listeners: [] }, 'embedded');
  assert.equal(config.stomp.maxFrameSize, 2048);
  assert.equal(config.stomp.connectTimeout, 250);
  assert.deepEqual(config.listeners, []);
  assert.equal(config.source, 'embedded');
  const e = configError(() => configFromObject({ stomp: { maxHeaders: 0 } }, 'embedded'));
  assert.deepEqual(e.problems, ['embedded: stomp.maxHeaders: 0 is out of range (1..100000)']);
});

test('config: defaultConfig merges overrides per section and parses listener URIs', () => {
  const config = defaultConfig({
    broker: { dataDirectory: '/tmp/x' },
    stomp: { maxHeaders: 7 },
    store: { type: 'memory' },
    listeners: [{ uri: 'stomp://127.0.0.1:0' }, { uri: 'ws://127.0.0.1:0', maximumConnections: 2 }],
  });
  assert.equal(config.broker.name, 'localhost');
  assert.equal(config.broker.dataDirectory, '/tmp/x');
  assert.equal(config.stomp.maxHeaders, 7);
  assert.equal(config.stomp.maxFrameSize, D.DEFAULT_MAX_FRAME_SIZE);
  assert.deepEqual(config.store, { ...defaultConfig().store, type: 'memory', journal: { segmentSize: D.DEFAULT_JOURNAL_SEGMENT_SIZE, sync: true } });
  assert.deepEqual(config.listeners.map((l) => [l.scheme, l.port, l.maxHeaders, l.maximumConnections]), [
    ['stomp', 0, 7, 1000],
    ['ws', 0, 7, 2],
  ]);
  // stomp overrides reach the default listeners too.
  assert.equal(defaultConfig({ stomp: { maxHeaders: 9 } }).listeners[0]?.maxHeaders, 9);
  const e = configError(() => defaultConfig({ listeners: [{ uri: 'amqp://0.0.0.0:5672' }] }));
  assert.equal(e.code, ErrorCodes.CONFIG_INVALID);
  assert.match(e.message, /listeners\[0\]\.uri: scheme "amqp" is not supported yet/);
  // A TLS listener without the tls section's certificate is refused, naming the keys.
  const t = configError(() => defaultConfig({ listeners: [{ uri: 'ssl://127.0.0.1:0' }] }));
  assert.match(t.message, /tls\.cert: missing/);
});
