/**
 * JmsShell: ActiveMQ's real Java JMS client (activemq-client 5.17), driven step by step from a
 * test. One long-lived JVM (test/interop/java/JmsShell.java) holds the JMS objects; each call
 * writes one JSON command line to its stdin and reads one JSON reply line from its stdout, in
 * order. Objects (connections, sessions, producers, consumers, temp destinations) are named by
 * the test and referred to by those names.
 *
 *   const shell = await JmsShell.start({ url: `tcp://127.0.0.1:${port}` }); // connects + starts
 *   try {
 *     await shell.call({ cmd: 'session', id: 's' });
 *     await shell.call({ cmd: 'producer', id: 'p', session: 's', dest: 'queue://q' });
 *     await shell.call({ cmd: 'send', producer: 'p', message: { type: 'text', body: 'hi' } });
 *   } finally {
 *     await shell.close();
 *   }
 *
 * `call` rejects with a JmsShellError when the command failed in Java ({ok:false}); `attempt`
 * returns the reply either way (for tests that expect a failure). A failed command leaves the
 * shell usable. A call that gets no reply within its deadline kills the shell (its replies
 * could no longer be matched to commands).
 *
 * Destinations are `queue://NAME`, `topic://NAME`, `temp-queue://<tempId>`,
 * `temp-topic://<tempId>` (a temp destination the shell created under that id, or any temp name
 * a message carried, e.g. its replyTo), with ActiveMQ's `?consumer.prefetchSize=0&...` options
 * and `a,b` composites inside the name as ActiveMQ parses them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findJava, javaClasspath } from './java.js';

/** A JMS-typed value: properties, map entries and stream items. */
export type JmsValueType = 'boolean' | 'byte' | 'short' | 'int' | 'long' | 'float' | 'double' | 'string' | 'char' | 'bytes';
/**
 * `long` values beyond 2^53 and float/double NaN/±Infinity travel as strings; `bytes` is base64.
 * Replies may also carry `null`, `map` and `list` (nested ActiveMQ properties).
 */
export interface JmsTyped {
  readonly type: JmsValueType | 'null' | 'map' | 'list';
  readonly value: unknown;
}
/** A property or entry to send: typed, or a bare string/boolean/number (int if it fits, else long or double). */
export type JmsValueIn = JmsTyped | string | boolean | number;

/** Builders for typed values: `jms.long(5)`, `jms.bytes(Buffer.from('x'))`. */
export const jms = {
  boolean: (value: boolean): JmsTyped => ({ type: 'boolean', value }),
  byte: (value: number): JmsTyped => ({ type: 'byte', value }),
  short: (value: number): JmsTyped => ({ type: 'short', value }),
  int: (value: number): JmsTyped => ({ type: 'int', value }),
  long: (value: number | bigint | string): JmsTyped => ({ type: 'long', value: typeof value === 'bigint' ? value.toString() : value }),
  float: (value: number | string): JmsTyped => ({ type: 'float', value }),
  double: (value: number | string): JmsTyped => ({ type: 'double', value }),
  string: (value: string): JmsTyped => ({ type: 'string', value }),
  char: (value: string): JmsTyped => ({ type: 'char', value }),
  bytes: (value: Buffer): JmsTyped => ({ type: 'bytes', value: value.toString('base64') }),
};

export type JmsMessageType = 'text' | 'bytes' | 'map' | 'stream' | 'object' | 'plain';

/** A message to send. `{i}` in a text/object body, a string property or correlationId is the index within `count`. */
export interface JmsMessageIn {
  readonly type?: JmsMessageType;
  /** text: string; bytes: base64; map: {name: value}; stream: [value]; object: a string (sent as java.lang.String). */
  readonly body?: string | Record<string, JmsValueIn> | readonly JmsValueIn[] | null;
  readonly properties?: Record<string, JmsValueIn>;
  readonly correlationId?: string;
  readonly jmsType?: string;
  readonly replyTo?: string;
  readonly groupId?: string;
  readonly groupSeq?: number;
  /** Per-message overrides of the producer's settings. */
  readonly priority?: number;
  readonly ttl?: number;
  readonly persistent?: boolean;
}

/** A message as the Java client saw it. */
export interface JmsMessage {
  readonly id: string | null;
  readonly type: JmsMessageType;
  /** text: string; bytes and object: base64 (object: Java serialization of getObject()); map: {name: typed}; stream: [typed]; plain: null. */
  readonly body: unknown;
  readonly objectClass?: string | null;
  readonly object?: string | null;
  readonly objectError?: string;
  /** Every property getPropertyNames() lists, JMSX ones included. */
  readonly properties: Record<string, JmsTyped>;
  /** `queue://x`, `topic://x`, `temp-queue://ID:...` */
  readonly destination: string | null;
  readonly replyTo: string | null;
  readonly correlationId: string | null;
  readonly jmsType: string | null;
  readonly priority: number;
  readonly expiration: number;
  readonly timestamp: number;
  readonly deliveryMode: 'persistent' | 'non_persistent';
  readonly redelivered: boolean;
  /** JMSXDeliveryCount (1 on first delivery). */
  readonly deliveryCount: number | null;
  readonly groupId: string | null;
  readonly groupSeq: number | null;
  readonly redeliveryCounter: number;
  readonly compressed: boolean;
  readonly originalDestination: string | null;
  readonly producerId: string | null;
}

export type XaFlag = 'TMNOFLAGS' | 'TMJOIN' | 'TMRESUME' | 'TMSUCCESS' | 'TMFAIL' | 'TMSUSPEND' | 'TMSTARTRSCAN' | 'TMENDRSCAN' | 'TMONEPHASE';
export interface JmsXid {
  readonly formatId: number;
  /** Hex. */
  readonly gtrid: string;
  readonly bqual: string;
}

/** Commands by name: their arguments. `connection` defaults to `default` everywhere. */
export interface JmsCommands {
  /**
   * ActiveMQConnectionFactory(url) (ActiveMQXAConnectionFactory with xa). `options` are factory
   * properties (useAsyncSend, producerWindowSize, sendAcksAsync, alwaysSyncSend, optimizeAcknowledge,
   * useCompression, watchTopicAdvisories, dispatchAsync, closeTimeout, sendTimeout, ...), with
   * `prefetchPolicy.x` / `redeliveryPolicy.x`, and the RedeliveryPolicy's own names (maximumRedeliveries,
   * initialRedeliveryDelay, redeliveryDelay, useExponentialBackOff, backOffMultiplier,
   * maximumRedeliveryDelay) as shorthands; an unknown name is an error. `start` also starts it.
   */
  connect: {
    url: string;
    id?: string;
    clientId?: string;
    user?: string;
    password?: string;
    options?: Record<string, string | number | boolean>;
    xa?: boolean;
    start?: boolean;
  };
  start: { connection?: string };
  stop: { connection?: string };
  info: { connection?: string };
  closeConnection: { connection?: string };
  session: { id: string; connection?: string; transacted?: boolean; ackMode?: 'auto' | 'client' | 'dups_ok' | 'individual' };
  /** On an XA connection; `xa` commands then use the session's XAResource. */
  xaSession: { id: string; connection?: string };
  commit: { session: string };
  rollback: { session: string };
  recover: { session: string };
  closeSession: { session: string };
  /** No dest: an anonymous producer (then `send` names one). */
  producer: {
    id: string;
    session: string;
    dest?: string;
    deliveryMode?: 'persistent' | 'non_persistent';
    priority?: number;
    ttl?: number;
    disableMessageID?: boolean;
    disableMessageTimestamp?: boolean;
  };
  closeProducer: { producer: string };
  /** `callback`: ActiveMQ's send(..., AsyncCallback); its outcome arrives as sendSuccess/sendFailure events. */
  send: { producer: string; message?: JmsMessageIn; count?: number; dest?: string; callback?: boolean };
  consumer: { id: string; session: string; dest: string; selector?: string; noLocal?: boolean; durable?: string };
  /**
   * Up to `count` (1) messages within `timeout` ms in all (default 1000; 0: receiveNoWait; <0:
   * block). `ack` acknowledges each; `quiet` answers count and lastId only.
   */
  receive: { consumer: string; timeout?: number; count?: number; ack?: boolean; quiet?: boolean };
  /** The consumer's last received message, or a received message by JMSMessageID. */
  acknowledge: { consumer?: string; message?: string };
  closeConsumer: { consumer: string };
  unsubscribe: { session: string; name: string };
  /**
   * Async delivery into an inbox `drain` empties; `ack` acknowledges in onMessage, `delayMs` sleeps
   * there first. JMS: the consumer's session then delivers asynchronously only (receive throws).
   */
  listener: { consumer: string; ack?: boolean; delayMs?: number };
  /** Waits up to `timeout` ms (0) for at least `min` (0) messages, then returns all that arrived. */
  drain: { consumer: string; min?: number; timeout?: number };
  browse: { session: string; dest: string; selector?: string };
  tempQueue: { session: string; id: string };
  tempTopic: { session: string; id: string };
  deleteTemp: { id: string };
  xa: { session: string; op: 'start' | 'end' | 'prepare' | 'commit' | 'rollback' | 'forget' | 'recover' | 'setTimeout' | 'getTimeout'; xid?: JmsXid; flags?: string; onePhase?: boolean; seconds?: number };
  /** Connection ExceptionListener and transport events, async send outcomes, listener errors, since the last call. */
  events: Record<never, never>;
  sleep: { ms: number };
  exit: Record<never, never>;
}

export interface JmsEvent {
  readonly event: 'exception' | 'transportException' | 'transportInterrupted' | 'transportResumed' | 'sendSuccess' | 'sendFailure' | 'listenerError';
  readonly connection?: string;
  readonly consumer?: string;
  readonly id?: string | null;
  readonly error?: string;
  readonly at?: number;
}

type Empty = Record<never, never>;
/** Replies by command name (besides `ok: true`). */
export interface JmsReplies {
  connect: { connection: string };
  start: Empty;
  stop: Empty;
  info: { clientId: string | null; brokerName: string | null; protocolVersion: number; started: boolean; closed: boolean; transportFailed: boolean; connectionId: string };
  closeConnection: Empty;
  session: { session: string };
  xaSession: Empty;
  commit: Empty;
  rollback: Empty;
  recover: Empty;
  closeSession: Empty;
  producer: Empty;
  closeProducer: Empty;
  /** ids only when count <= 1000. */
  send: { ids?: string[]; count: number; lastId: string | null };
  consumer: Empty;
  receive: { count: number; lastId: string | null; messages?: JmsMessage[] };
  acknowledge: Empty;
  closeConsumer: Empty;
  unsubscribe: Empty;
  listener: Empty;
  drain: { messages: JmsMessage[] };
  browse: { messages: JmsMessage[] };
  tempQueue: { name: string };
  tempTopic: { name: string };
  deleteTemp: Empty;
  xa: { vote?: 'XA_OK' | 'XA_RDONLY'; xids?: JmsXid[]; set?: boolean; seconds?: number };
  events: { events: JmsEvent[] };
  sleep: Empty;
  exit: Empty;
}

export type JmsCommandName = keyof JmsCommands;
export type JmsCommand = { [K in JmsCommandName]: { cmd: K } & JmsCommands[K] }[JmsCommandName];
export interface JmsFailure {
  readonly ok: false;
  /** `<exception class>: <message>` (XAException: with its errorCode). */
  readonly error: string;
  readonly causes?: string[];
  readonly xaErrorCode?: number;
}
export type JmsReply<K extends JmsCommandName> = ({ ok: true } & JmsReplies[K]) | JmsFailure;

export class JmsShellError extends Error {
  constructor(
    readonly command: JmsCommand,
    readonly reply: JmsFailure,
  ) {
    super(`jms-shell ${command.cmd} failed: ${reply.error}${reply.causes ? ` (caused by ${reply.causes.join('; ')})` : ''}`);
  }
}

export interface JmsShellOptions {
  /** Connect the `default` connection at once (and start it, unless start is false). */
  readonly url?: string;
  readonly clientId?: string;
  readonly user?: string;
  readonly password?: string;
  readonly options?: Record<string, string | number | boolean>;
  readonly xa?: boolean;
  readonly start?: boolean;
  /** Extra JVM arguments (system properties, -Xmx). */
  readonly jvmArgs?: readonly string[];
}

/**
 * JVM flags for a quick start: the client does little work, so the C1 compiler alone and the
 * serial collector start faster and cost less CPU on a busy 2-core test machine.
 */
const JVM_ARGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xss512k', '-Xmx256m'];
/** A cold JVM on a loaded machine; far longer than the ~0.3 s it takes. */
const READY_TIMEOUT_MS = 30_000;
/** A reply takes at most this long beyond what the command itself may wait (receive timeout, sleep). */
const REPLY_GRACE_MS = 30_000;
const STDERR_TAIL_CHARS = 4000;
/** After `exit` answered (connections closed), the JVM only has to stop. */
const EXIT_TIMEOUT_MS = 10_000;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

interface Pending {
  readonly command: JmsCommand;
  resolve(reply: Record<string, unknown>): void;
  reject(err: Error): void;
  readonly timer: NodeJS.Timeout;
}

export class JmsShell {
  private readonly pending: Pending[] = [];
  private stderrTail = '';
  private dead: Error | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    /** ms from spawning the JVM to its ready line. */
    readonly startMs: number,
    readonly pid: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Spawns the JVM (compiling the Java sources first if this machine has not yet), and connects when `url` is given. */
  static async start(options: JmsShellOptions = {}): Promise<JmsShell> {
    const { java } = findJava();
    const classpath = await javaClasspath();
    const began = Date.now();
    const child = spawn(java, [...JVM_ARGS, ...(options.jvmArgs ?? []), '-cp', classpath, 'JmsShell'], { stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    child.once('exit', () => live.delete(child));
    const lines = createInterface({ input: child.stdout! });
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let stderr = '';
      const onErr = (d: Buffer): void => {
        stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL_CHARS);
      };
      child.stderr!.on('data', onErr);
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`jms-shell: no ready line within ${READY_TIMEOUT_MS} ms:\n${stderr}`));
      }, READY_TIMEOUT_MS);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`jms-shell exited at start (${code ?? signal}):\n${stderr}`));
      });
      lines.once('line', (line) => {
        clearTimeout(timer);
        child.stderr!.off('data', onErr);
        child.removeAllListeners('exit');
        child.once('exit', () => live.delete(child));
        resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
    const shell = new JmsShell(child, Date.now() - began, Number(ready['pid']));
    shell.attach(lines);
    if (options.url !== undefined) {
      try {
        await shell.call({
          cmd: 'connect',
          url: options.url,
          clientId: options.clientId,
          user: options.user,
          password: options.password,
          options: options.options,
          xa: options.xa,
          start: options.start ?? true,
        });
      } catch (err) {
        await shell.close();
        throw err;
      }
    }
    return shell;
  }

  private attach(lines: ReturnType<typeof createInterface>): void {
    lines.on('line', (line) => {
      const p = this.pending.shift();
      if (p === undefined) return;
      clearTimeout(p.timer);
      try {
        p.resolve(JSON.parse(line) as Record<string, unknown>);
      } catch (err) {
        p.reject(new Error(`jms-shell: unreadable reply to ${p.command.cmd}: ${line}`, { cause: err }));
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-STDERR_TAIL_CHARS);
      if (process.env['FERRYMQ_JMS_LOG'] === '1') process.stderr.write(d);
    });
    this.child.once('exit', (code, signal) => this.fail(new Error(`jms-shell exited (${code ?? signal}):\n${this.stderrTail}`)));
    this.child.stdin!.on('error', () => {
      // The exit handler reports it.
    });
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  /** The stderr tail (client logging with FERRYMQ_JMS_LOG=1, JVM crashes). */
  stderr(): string {
    return this.stderrTail;
  }

  /** Sends a command; resolves with its reply whether it succeeded or not. */
  attempt<C extends JmsCommand>(command: C): Promise<JmsReply<C['cmd']>> {
    if (this.dead !== undefined) return Promise.reject(this.dead);
    const waits = Math.max(Number((command as { timeout?: unknown }).timeout ?? 0), Number((command as { ms?: unknown }).ms ?? 0), 0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new Error(`jms-shell: no reply to ${JSON.stringify(command)} within ${waits + REPLY_GRACE_MS} ms; killing the shell`);
        this.fail(err);
        this.child.kill('SIGKILL');
      }, waits + REPLY_GRACE_MS);
      this.pending.push({ command, resolve: resolve as unknown as (r: Record<string, unknown>) => void, reject, timer });
      this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    });
  }

  /** Sends a command; rejects with a JmsShellError when it failed in Java. */
  async call<C extends JmsCommand>(command: C): Promise<{ ok: true } & JmsReplies[C['cmd']]> {
    const reply = await this.attempt(command);
    if (!reply.ok) throw new JmsShellError(command, reply);
    return reply;
  }

  /** Closes every JMS connection cleanly (RemoveInfo, ShutdownInfo) and lets the JVM exit. */
  async exit(): Promise<void> {
    if (this.dead === undefined && this.child.exitCode === null) {
      await this.attempt({ cmd: 'exit' }).catch(() => undefined);
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, EXIT_TIMEOUT_MS).unref())]);
    }
    await this.close();
  }

  /** Kills the JVM (no clean JMS close). Tests must always close their shells. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** One property of every JMS type (a long beyond 2^53 included), for round-trip checks. */
export const JMS_PROPERTIES = {
  bool: jms.boolean(true),
  byte: jms.byte(-7),
  short: jms.short(1234),
  int: jms.int(-123456),
  long: jms.long('9007199254740993'),
  float: jms.float(1.5),
  double: jms.double(2.25),
  string: jms.string('héllo ☃'),
};

let uniqueSeq = 0;
/** A destination name no other test (or test process) uses. */
export function uniqueName(name: string): string {
  return `${name}.${process.pid}.${++uniqueSeq}`;
}

/** One message of every JMS type (text, bytes, map, stream, object, plain), bodies of every kind of value. */
export function everyMessageType(text: string, bytes: Buffer) {
  return [
    { type: 'text', body: text },
    { type: 'bytes', body: bytes.toString('base64') },
    { type: 'map', body: { ...JMS_PROPERTIES, char: jms.char('x'), raw: jms.bytes(bytes) } },
    { type: 'stream', body: [jms.int(1), jms.string('two'), jms.double(3.5), jms.bytes(bytes), jms.boolean(false)] },
    { type: 'object', body: 'a serialized string' },
    { type: 'plain' },
  ] as const;
}
