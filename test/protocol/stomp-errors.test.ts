/**
 * STOMP 1.2 "ERROR": a bad frame gets an ERROR (with `message`, and `receipt-id` when the frame
 * asked for a receipt), then that connection, and only it, is closed. Other connections keep
 * working, and messages the broker already accepted stay consumable.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { closeAfter, RawStomp } from '../helpers/stomp-client.js';

let tb: TestBroker;
/** A well-behaved connection that lives through every case, holding one unacked message. */
let observer: RawStomp;
const OBSERVED = '/queue/errors.observer';

before(async () => {
  tb = await startTestBroker();
  observer = await RawStomp.connect(tb.port);
  await observer.request('SUBSCRIBE', { id: 'obs', destination: OBSERVED, ack: 'client-individual' });
  await observer.request('SEND', { destination: OBSERVED, persistent: 'true' }, 'held');
  await observer.message();
});
after(async () => {
  observer.close();
  await tb.stop();
});

interface ErrorCase {
  readonly name: string;
  /** accept-version; null = STOMP 1.0 without the header. */
  readonly version?: string | null;
  /** False: the bad bytes are the first thing on the socket (no CONNECT). */
  readonly connect?: boolean;
  /** Writes the offending bytes. */
  readonly bad: (c: RawStomp) => void;
  /** The receipt-id the ERROR must carry (undefined: none expected). */
  readonly receipt?: string;
  readonly message: RegExp;
}

const CASES: readonly ErrorCase[] = [
  { name: 'garbage bytes', bad: (c) => c.raw('\x01\x02garbage\x7f\n\n\0'), message: /unknown STOMP command/ },
  { name: 'a header line without a colon', bad: (c) => c.raw('SEND\ndestination:/queue/x\nreceipt:r\nno-colon-here\n\nbody\0'), message: /header/ },
  { name: 'an undefined escape sequence (1.2)', bad: (c) => c.raw('SEND\ndestination:/queue/x\nh:a\\tb\n\nbody\0'), message: /escape/ },
  { name: 'a CR escape in 1.1', version: '1.1', bad: (c) => c.raw('SEND\ndestination:/queue/x\nh:a\\rb\n\nbody\0'), message: /escape/ },
  { name: 'a body longer than its content-length', bad: (c) => c.raw('SEND\ndestination:/queue/x\ncontent-length:2\n\nabcdef\0'), message: /content-length/ },
  { name: 'an invalid content-length', bad: (c) => c.raw('SEND\ndestination:/queue/x\ncontent-length:-4\n\nabcd\0'), message: /content-length/ },
  { name: 'an unknown command', bad: (c) => c.raw('FROBNICATE\nreceipt:r\n\n\0'), message: /unknown STOMP command/ },
  { name: 'a server command sent by a client', bad: (c) => c.send('MESSAGE', { receipt: 'r-msg' }), receipt: 'r-msg', message: /not a client frame/ },
  { name: 'a frame before CONNECT', connect: false, bad: (c) => c.send('SEND', { destination: '/queue/x', receipt: 'r-early' }, 'b'), receipt: 'r-early', message: /CONNECT/ },
  { name: 'SEND without destination', bad: (c) => c.send('SEND', { receipt: 'r-nodest' }, 'b'), receipt: 'r-nodest', message: /destination/ },
  { name: 'SEND with an empty destination', bad: (c) => c.send('SEND', { destination: '', receipt: 'r-empty' }, 'b'), receipt: 'r-empty', message: /destination/ },
  { name: 'an illegal destination prefix', bad: (c) => c.send('SEND', { destination: '/foo/bar', receipt: 'r-prefix' }, 'b'), receipt: 'r-prefix', message: /illegal destination/ },
  { name: 'a destination without a leading slash', bad: (c) => c.send('SUBSCRIBE', { id: 's', destination: 'queue/x', receipt: 'r-slash' }), receipt: 'r-slash', message: /illegal destination/ },
  { name: 'SUBSCRIBE without id (1.2)', bad: (c) => c.send('SUBSCRIBE', { destination: '/queue/x', receipt: 'r-noid' }), receipt: 'r-noid', message: /id/ },
  { name: 'SUBSCRIBE without id (1.1)', version: '1.1', bad: (c) => c.send('SUBSCRIBE', { destination: '/queue/x', receipt: 'r-noid11' }), receipt: 'r-noid11', message: /id/ },
  { name: 'a bad ack mode', bad: (c) => c.send('SUBSCRIBE', { id: 's', destination: '/queue/x', ack: 'sometimes', receipt: 'r-ack' }), receipt: 'r-ack', message: /ack mode/ },
  { name: 'a duplicate subscription id', bad: (c) => { c.send('SUBSCRIBE', { id: 'dup', destination: '/queue/x' }); c.send('SUBSCRIBE', { id: 'dup', destination: '/queue/y', receipt: 'r-dup' }); }, receipt: 'r-dup', message: /already exists/ },
  { name: 'an invalid selector', bad: (c) => c.send('SUBSCRIBE', { id: 's', destination: '/queue/x', selector: 'a = = 1', receipt: 'r-sel' }), receipt: 'r-sel', message: /./ },
  { name: 'UNSUBSCRIBE of an unknown id', bad: (c) => c.send('UNSUBSCRIBE', { id: 'nope', receipt: 'r-unsub' }), receipt: 'r-unsub', message: /nope/ },
  { name: 'ACK of an unknown id (1.2)', bad: (c) => c.send('ACK', { id: 'no-such-ack', receipt: 'r-ack12' }), receipt: 'r-ack12', message: /no-such-ack/ },
  { name: 'ACK of an unknown message-id (1.1)', version: '1.1', bad: (c) => c.send('ACK', { 'message-id': 'ID:nope', subscription: 's', receipt: 'r-ack11' }), receipt: 'r-ack11', message: /ID:nope/ },
  { name: 'ACK of an unknown message-id (1.0)', version: null, bad: (c) => c.send('ACK', { 'message-id': 'ID:nope', receipt: 'r-ack10' }), receipt: 'r-ack10', message: /ID:nope/ },
  { name: 'ACK without id (1.2)', bad: (c) => c.send('ACK', { receipt: 'r-ackid' }), receipt: 'r-ackid', message: /id/ },
  { name: 'NACK in 1.0', version: null, bad: (c) => c.send('NACK', { 'message-id': 'ID:x', receipt: 'r-nack10' }), receipt: 'r-nack10', message: /NACK/ },
  { name: 'BEGIN twice', bad: (c) => { c.send('BEGIN', { transaction: 't1' }); c.send('BEGIN', { transaction: 't1', receipt: 'r-begin' }); }, receipt: 'r-begin', message: /already open/ },
  { name: 'BEGIN without transaction', bad: (c) => c.send('BEGIN', { receipt: 'r-notx' }), receipt: 'r-notx', message: /transaction/ },
  { name: 'COMMIT of an unknown transaction', bad: (c) => c.send('COMMIT', { transaction: 'ghost', receipt: 'r-commit' }), receipt: 'r-commit', message: /ghost/ },
  { name: 'ABORT of an unknown transaction', bad: (c) => c.send('ABORT', { transaction: 'ghost', receipt: 'r-abort' }), receipt: 'r-abort', message: /ghost/ },
  { name: 'SEND in an unknown transaction', bad: (c) => c.send('SEND', { destination: '/queue/x', transaction: 'ghost', receipt: 'r-sendtx' }, 'b'), receipt: 'r-sendtx', message: /ghost/ },
];

/** The ERROR frame's shape: message header, receipt-id as expected, a readable body. */
function checkError(err: StompFrame, expected: ErrorCase): void {
  const message = err.headers.get('message') ?? '';
  assert.match(message, expected.message, `message header: ${message}`);
  assert.equal(err.headers.get('receipt-id'), expected.receipt);
  assert.ok(err.body.length > 0, 'ERROR body explains the problem');
}

/** The observer is still connected and served; it acks its held message on the last case. */
async function checkObserver(label: string): Promise<void> {
  assert.equal(observer.closed, false, `${label}: the observer connection survived`);
  await observer.request('SEND', { destination: '/queue/errors.observer.echo' }, label);
}

CASES.forEach((c, i) => {
  test(`stomp: ERROR and close on ${c.name}; other connections unaffected`, async (t) => {
    const dest = `/queue/errors.accepted.${i}`;
    const bad = closeAfter(t, c.connect === false ? await RawStomp.open(tb.port) : await RawStomp.connect(tb.port, {}, c.version === undefined ? '1.2' : c.version));
    if (c.connect !== false) {
      // Accepted before the failure: must stay consumable after this connection dies.
      await bad.request('SEND', { destination: dest, persistent: 'true' }, 'one');
      await bad.request('SEND', { destination: dest, persistent: 'true' }, 'two');
    }
    c.bad(bad);
    // Bytes after the offending frame are not processed: this SEND must never arrive.
    bad.raw(`SEND\ndestination:${dest}\npersistent:true\n\nafter-error\0`);
    const err = await bad.errorThenClose(3000);
    checkError(err, c);

    await checkObserver(c.name);
    if (c.connect !== false) {
      const reader = closeAfter(t, await RawStomp.connect(tb.port));
      await reader.request('SUBSCRIBE', { id: 'r', destination: dest });
      assert.equal((await reader.message()).body.toString(), 'one');
      assert.equal((await reader.message()).body.toString(), 'two');
      // Nothing after the ERROR was accepted: a marker sent now is next in line.
      await reader.request('SEND', { destination: dest, persistent: 'true' }, 'marker');
      assert.equal((await reader.message()).body.toString(), 'marker');
    }
  });
});

test('stomp: a failed consumer\'s unacked messages go to another consumer, marked redelivered', async (t) => {
  const dest = '/queue/errors.unacked';
  const producer = closeAfter(t, await RawStomp.connect(tb.port));
  for (let i = 0; i < 3; i++) await producer.request('SEND', { destination: dest, persistent: 'true' }, `m${i}`);
  const failing = closeAfter(t, await RawStomp.connect(tb.port));
  await failing.request('SUBSCRIBE', { id: 's', destination: dest, ack: 'client' });
  for (let i = 0; i < 3; i++) await failing.message();
  failing.raw('BOGUS\n\n\0');
  await failing.errorThenClose(3000);

  const other = closeAfter(t, await RawStomp.connect(tb.port));
  await other.request('SUBSCRIBE', { id: 's', destination: dest, ack: 'client-individual' });
  for (let i = 0; i < 3; i++) {
    const m = await other.message();
    assert.equal(m.body.toString(), `m${i}`);
    assert.equal(m.headers.get('redelivered'), 'true');
    await other.request('ACK', { id: m.headers.get('ack') ?? '' });
  }
  await checkObserver('unacked');
});

test('stomp: an ERROR on one connection leaves a busy neighbour\'s stream intact', async (t) => {
  const dest = '/queue/errors.neighbour';
  const consumer = closeAfter(t, await RawStomp.connect(tb.port));
  await consumer.request('SUBSCRIBE', { id: 's', destination: dest });
  const producer = closeAfter(t, await RawStomp.connect(tb.port));
  const count = 200;
  for (let i = 0; i < count; i++) {
    producer.send('SEND', { destination: dest, persistent: 'true' }, `n${i}`);
    if (i === count / 2) {
      const bad = closeAfter(t, await RawStomp.connect(tb.port));
      bad.raw('NOPE\n\n\0');
      await bad.errorThenClose(3000);
    }
  }
  // Persistent like the rest: JMS lets non-persistent messages overtake persistent ones.
  await producer.request('SEND', { destination: dest, persistent: 'true' }, 'last');
  for (let i = 0; i < count; i++) assert.equal((await consumer.message()).body.toString(), `n${i}`);
  assert.equal((await consumer.message()).body.toString(), 'last');
});

test('stomp: a client that vanishes mid-transaction loses only its uncommitted work', async (t) => {
  const dest = '/queue/errors.vanish';
  const producer = closeAfter(t, await RawStomp.connect(tb.port));
  await producer.request('SEND', { destination: dest, persistent: 'true' }, 'stored');
  const gone = closeAfter(t, await RawStomp.connect(tb.port));
  await gone.request('SUBSCRIBE', { id: 's', destination: dest, ack: 'client-individual' });
  const m = await gone.message();
  await gone.request('BEGIN', { transaction: 'tx' });
  await gone.request('SEND', { destination: dest, persistent: 'true', transaction: 'tx' }, 'uncommitted');
  await gone.request('ACK', { id: m.headers.get('ack') ?? '', transaction: 'tx' });
  gone.close(); // no DISCONNECT: the socket just goes away

  const other = closeAfter(t, await RawStomp.connect(tb.port));
  await other.request('SUBSCRIBE', { id: 's', destination: dest });
  const back = await other.message();
  assert.equal(back.body.toString(), 'stored');
  assert.equal(back.headers.get('redelivered'), 'true');
  await producer.request('SEND', { destination: dest, persistent: 'true' }, 'marker');
  assert.equal((await other.message()).body.toString(), 'marker', 'the uncommitted SEND was rolled back');
});
