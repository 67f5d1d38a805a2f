/**
 * Single-writer guard for a journal directory: a `lock` file holding the owner's pid. It is created
 * atomically with its content (write a temp file, then link(2) it into place, which fails if
 * `lock` exists), so nobody ever sees an empty lock. A lock whose pid is dead is stale and may be
 * taken over. This protects against a second broker on the same data directory on one host;
 * fencing across hosts is the job of ha/ locks.
 */
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../errors.js';
import { isProcessAlive } from '../../util/process-alive.js';

const LOCK_FILE_NAME = 'lock';

/** Lock paths held by stores in this process (the pid alone cannot tell two of ours apart). */
const heldInThisProcess = new Set<string>();

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export class JournalLock {
  private constructor(readonly path: string) {}

  static async acquire(directory: string): Promise<JournalLock> {
    const path = join(directory, LOCK_FILE_NAME);
    const temp = join(directory, `${LOCK_FILE_NAME}.${process.pid}.${Date.now()}.tmp`);
    await writeFile(temp, `${process.pid}\n`);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (heldInThisProcess.has(path)) {
          throw new FerryError('STORE_LOCKED', `journal ${directory} is already open in this process`);
        }
        try {
          await link(temp, path);
          heldInThisProcess.add(path);
          return new JournalLock(path);
        } catch (e) {
          if (errnoCode(e) !== 'EEXIST') throw new FerryError('STORE_IO', `cannot create journal lock ${path}`, { cause: e });
        }
        const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
        // Our own pid without an entry in heldInThisProcess: a previous life of this pid (e.g. a
        // container restart reusing pid 1) left it behind.
        if (Number.isInteger(owner) && owner !== process.pid && isProcessAlive(owner)) {
          throw new FerryError('STORE_LOCKED', `journal ${directory} is locked by running process ${owner}`);
        }
        await unlink(path).catch((e: unknown) => {
          if (errnoCode(e) !== 'ENOENT') throw e;
        });
      }
      throw new FerryError('STORE_LOCKED', `journal ${directory}: lost the race for a stale lock`);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async release(): Promise<void> {
    if (!heldInThisProcess.delete(this.path)) return;
    await unlink(this.path).catch(() => undefined);
  }
}
