import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JournalStore } from '../../src/store/journal/journal-store.js';
import { crashBody, crashContainers } from './journal-compaction-crash-child.js';
import { withTempDir } from './journal-helpers.js';

const CHILD = fileURLToPath(new URL('./journal-compaction-crash-child.js', import.meta.url));
const ROUNDS = 6;

type PairState = 'live' | 'acking' | 'acked';

interface Round {
  firstId: number;
  compactions: number;
}

/** Runs the child on `journal` and kills it with SIGKILL at a random moment; records what it printed. */
async function runChild(journal: string, model: Map<number, Map<string, PairState>>): Promise<Round> {
  const child = spawn(process.execPath, [CHILD, journal], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)) /* 'close': after the last stdout line was read */);
  const round: Round = { firstId: Infinity, compactions: 0 };
  let partial = '';
  let durableLines = 0;
  const killAfter = 300 + Math.floor(Math.random() * 3000);
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'O') round.firstId = Number(a);
      else if (kind === 'A') {
        model.set(Number(a), new Map(crashContainers(Number(a)).map((c) => [c, 'live'])));
        durableLines++;
      } else if (kind === 'k') model.get(Number(b))?.set(a as string, 'acking');
      else if (kind === 'K') {
        model.get(Number(b))?.set(a as string, 'acked');
        durableLines++;
      } else if (kind === 'S') round.compactions = Number(a);
    }
    if (durableLines >= killAfter) child.kill('SIGKILL');
  });
  assert.equal(await exited, 'SIGKILL');
  return round;
}

test('store: journal compaction loses nothing and resurrects nothing through kill -9 (several rounds)', { timeout: 120_000 }, () =>
  withTempDir(async (dir) => {
    const journal = join(dir, 'journal');
    // id -> container -> state; ids the child added and printed, plus what earlier rounds recovered.
    const model = new Map<number, Map<string, PairState>>();
    let compactions = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const round = await runChild(journal, model);
      compactions += round.compactions;
      const store = new JournalStore({ directory: journal, sync: false, compactionThreshold: 0 });
      const state = await store.open();
      const recovered = new Map(state.messages.map((m) => [m.id, m.containers]));
      for (const [id, containers] of recovered) {
        const known = model.get(id);
        if (known === undefined) {
          // Added by this round but killed before its callback printed: allowed, whole.
          assert.ok(id >= round.firstId, `round ${r}: message ${id} was never added`);
          assert.deepEqual(containers, crashContainers(id), `round ${r}: unconfirmed add ${id} is whole`);
          continue;
        }
        for (const c of containers) {
          assert.notEqual(known.get(c), 'acked', `round ${r}: acked ${c} ${id} came back`);
          assert.ok(known.has(c), `round ${r}: ${id} gained container ${c}`);
        }
      }
      for (const [id, pairs] of model) {
        for (const [c, s] of pairs) {
          if (s === 'live') assert.ok(recovered.get(id)?.includes(c), `round ${r}: durable ${c} ${id} was lost`);
        }
      }
      const ids = [...recovered.keys()];
      assert.deepEqual(await store.read(ids), ids.map(crashBody), `round ${r}: bodies`);
      await store.close();
      // What is on disk now is the truth the next round starts from.
      model.clear();
      for (const [id, containers] of recovered) model.set(id, new Map(containers.map((c) => [c, 'live'])));
    }
    console.log(`# ${compactions} compactions`);
    assert.ok(compactions > ROUNDS, `compaction ran while the child was killed (${compactions} compactions)`);
  }));
