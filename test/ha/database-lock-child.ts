/**
 * A broker-like holder of the database lock in its own process, so a test can SIGSTOP it:
 *   node database-lock-child.js TYPE URL PREFIX ID LEASE RENEW MARGIN
 * Prints JSON lines: {event:'acquired', epoch}, then {event:'tick', valid} every 50 ms and
 * {event:'lost', reason, valid} when the lease is lost.
 */
import { pino } from 'pino';
import { DatabaseLock } from '../../src/ha/database-lock.js';

const [type, url, tablePrefix, id, lease, renewInterval, fenceMargin] = process.argv.slice(2);
const lock = new DatabaseLock(
  { type: type as 'postgres' | 'mysql', url: url as string, tablePrefix: tablePrefix as string },
  { id: id as string, broker: 'child', listeners: [], lease: Number(lease), renewInterval: Number(renewInterval), fenceMargin: Number(fenceMargin), retryInterval: 100 },
  pino({ level: 'silent' }),
);
const say = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const held = await lock.acquire(new AbortController().signal);
say({ event: 'acquired', epoch: held.epoch });
held.onLost((reason) => say({ event: 'lost', reason, valid: held.valid() }));
setInterval(() => say({ event: 'tick', valid: held.valid() }), 50);
