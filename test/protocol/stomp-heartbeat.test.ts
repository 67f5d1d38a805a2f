/**
 * STOMP 1.2 "Heart-beating" over real sockets, both directions, at the client's rate: for
 * `heart-beat: cx,cy` the broker answers `max(cy, floor), max(cx, floor)` (0 stays 0). The floor
 * (stomp.heartbeatMinimum) is 100 ms here; windows are generous (a loaded 2-core CI machine runs
 * these) and client-side intervals stay well inside the broker's grace so the tests do not flake.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { closeAfter, RawStomp } from '../helpers/stomp-client.js';

const FLOOR = 100;

let tb: TestBroker;
before(async () => {
  tb = await startTestBroker({ stomp: { heartbeatMinimum: FLOOR } });
});
after(() => tb.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Heart-beats received in [from, to). */
function beatsBetween(c: RawStomp, from: number, to: number): number {
  return c.heartbeatTimes.filter((at) => at >= from && at < to).length;
}

// The tests mostly wait on timers and use separate connections: run them side by side.
describe('stomp heart-beating', { concurrency: true }, () => {
  test('stomp: CONNECTED answers the client rates, raised to the floor, 0 kept as 0', async (t) => {
    const cases: Array<[string, string]> = [
      ['0,0', '0,0'],
      ['1000,2000', '2000,1000'],
      ['10,20', `${FLOOR},${FLOOR}`],
      ['0,700', '700,0'],
      ['450,0', '0,450'],
    ];
    for (const [asked, answered] of cases) {
      const c = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': asked }));
      assert.equal(c.connectedFrame?.headers.get('heart-beat'), answered, `heart-beat:${asked}`);
    }
  });

  test('stomp: an idle connection receives heart-beat EOLs at about the negotiated interval', async (t) => {
    // Client wants one every 100 ms; the floor is 100 ms: the broker sends every 100 ms.
    const c = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': '0,100' }));
    const from = Date.now();
    await sleep(1000);
    const n = beatsBetween(c, from, Date.now());
    t.diagnostic(`${n} heart-beats in 1 s at 100 ms negotiated`);
    assert.ok(n >= 3, `at least 3 beats in 1 s, got ${n}`);
    // Not a flood: even beating at half the interval gives ~20 in a second.
    assert.ok(n <= 40, `no more than 40 beats in 1 s, got ${n}`);
    assert.equal(c.frames.length, 0, 'heart-beats are bare EOLs, not frames');
  });

  test('stomp: the broker beats at each client\'s own rate (600 ms and 100 ms side by side)', async (t) => {
    const slow = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': '0,600' }));
    const fast = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': '0,100' }));
    const from = Date.now();
    await sleep(1500);
    const to = Date.now();
    const nSlow = beatsBetween(slow, from, to);
    const nFast = beatsBetween(fast, from, to);
    t.diagnostic(`beats in 1.5 s: ${nSlow} at 600 ms, ${nFast} at 100 ms`);
    assert.ok(nSlow >= 1, `the slow connection still gets beats (got ${nSlow})`);
    // At 600 ms (sent at most twice per interval) that is at most ~6 in 1.5 s; at 100 ms, 15 or more.
    assert.ok(nSlow <= 8, `600 ms negotiated: at most 8 beats in 1.5 s, got ${nSlow}`);
    assert.ok(nFast > nSlow, `the 100 ms connection beats more often (${nFast} vs ${nSlow})`);
  });

  test('stomp: heart-beat:0,0 and STOMP 1.0 mean no heart-beats either way', async (t) => {
    const none = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': '0,0' }));
    const v10 = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': '100,100' }, null));
    assert.equal(v10.version, '1.0');
    assert.equal(v10.connectedFrame?.headers.has('heart-beat'), false, '1.0 has no heart-beat negotiation');
    const from = Date.now();
    // Both stay silent for far longer than 100 ms x grace: neither may be dropped nor beaten.
    await sleep(800);
    for (const c of [none, v10]) {
      assert.equal(beatsBetween(c, from, Date.now()), 0);
      assert.equal(c.closed, false);
    }
    await none.request('SEND', { destination: '/queue/hb.none' }, 'alive');
    await v10.request('SEND', { destination: '/queue/hb.none' }, 'alive');
  });

  test('stomp: a client that stops sending heart-beats is dropped', async (t) => {
    // Client promises one every 100 ms: the broker expects max(100, floor 100) = 100 ms, x grace factor 2.
    const c = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': '100,0' }));
    const from = Date.now();
    await c.waitClosed(3000);
    const silentFor = Date.now() - from;
    assert.ok(silentFor >= 150, `not dropped before the grace period (dropped after ${silentFor} ms)`);
  });

  test('stomp: a client that keeps sending heart-beats stays connected', async (t) => {
    // Expectation max(300, floor 100) = 300 ms (x2 grace = 600 ms); beating every 100 ms leaves ample slack.
    const c = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': '300,0' }));
    const beat = setInterval(() => c.raw('\n'), 100);
    t.after(() => clearInterval(beat));
    await sleep(1500);
    assert.equal(c.closed, false, 'still connected after 1.5 s of heart-beats only');
    await c.request('SEND', { destination: '/queue/hb.alive' }, 'still here');
    clearInterval(beat);
    // And once the beats stop, the same connection is dropped.
    await c.waitClosed(3000);
  });

  test('stomp: ordinary frames count as heart-beats too', async (t) => {
    const c = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': '300,0' }));
    for (let i = 0; i < 8; i++) {
      await sleep(150);
      await c.request('SEND', { destination: '/queue/hb.frames' }, `m${i}`);
    }
    assert.equal(c.closed, false);
  });

  test('stomp: CR LF heart-beats from the client are accepted', async (t) => {
    const c = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': '300,0' }));
    const beat = setInterval(() => c.raw('\r\n'), 100);
    t.after(() => clearInterval(beat));
    await sleep(800);
    assert.equal(c.closed, false);
    await c.request('SEND', { destination: '/queue/hb.crlf' }, 'ok');
  });

  test('stomp: a client asking for a faster beat than the floor gets the floor', async (t) => {
    // Asks for 10 ms: sent at most twice per 100 ms interval, so never more than ~25 a second.
    const c = closeAfter(t, await RawStomp.connect(tb.port, { 'heart-beat': '0,10' }));
    const from = Date.now();
    await sleep(1000);
    const n = beatsBetween(c, from, Date.now());
    assert.ok(n >= 3 && n <= 25, `floor ${FLOOR} ms: 3..25 beats in 1 s, got ${n}`);
  });

  test('stomp: an invalid heart-beat header is an ERROR', async (t) => {
    for (const hb of ['abc', '100', '-1,0', '1,2,3']) {
      const c = closeAfter(t, await RawStomp.open(tb.port));
      c.send('CONNECT', { 'accept-version': '1.2', host: 'localhost', 'heart-beat': hb });
      const err = await c.errorThenClose(3000);
      assert.match(err.headers.get('message') ?? '', /heart-beat/, `heart-beat:${hb}`);
    }
  });
});
