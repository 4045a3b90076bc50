import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MissionError, isProcessAlive } from '../core/index.js';

export const DATA_DIR_LOCK_FILE = 'mission-control.lock';


function readHolder(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) ? pid : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Locks this process holds; one shared exit hook removes their files (not one listener per lock). */
const heldLocks = new Set<DataDirLock>();
let exitHookInstalled = false;

function releaseAllOnExit(): void {
  for (const lock of [...heldLocks]) lock.release();
}

/**
 * Exclusive ownership of a data directory (SPEC §7: one runtime process owns a data dir).
 * The lock file `<data_dir>/mission-control.lock` holds the owner's pid; a lock whose pid is dead
 * is stale and taken over. Created with O_EXCL so two starters cannot both win.
 */
export class DataDirLock {
  readonly file: string;
  private held = false;

  private constructor(dataDir: string) {
    this.file = join(dataDir, DATA_DIR_LOCK_FILE);
  }

  /** Takes the lock or throws DATA_DIR_LOCKED naming the live holder's pid. */
  static acquire(dataDir: string): DataDirLock {
    const lock = new DataDirLock(dataDir);
    lock.take();
    return lock;
  }

  /** The pid of a live holder, or null when the directory is free (or only stale-locked). */
  static holder(dataDir: string): number | null {
    const pid = readHolder(join(dataDir, DATA_DIR_LOCK_FILE));
    return pid !== null && isProcessAlive(pid) ? pid : null;
  }

  private take(): void {
    // Two rounds: the second one follows the removal of a stale lock.
    for (let round = 0; round < 2; round++) {
      try {
        const fd = openSync(this.file, 'wx', 0o644);
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        this.held = true;
        heldLocks.add(this);
        if (!exitHookInstalled) {
          exitHookInstalled = true;
          process.on('exit', releaseAllOnExit);
        }
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = readHolder(this.file);
      if (pid !== null && isProcessAlive(pid)) {
        throw new MissionError(
          'DATA_DIR_LOCKED',
          `data directory is in use by process ${pid} (lock file ${this.file})`,
          { pid, lock_file: this.file },
        );
      }
      // Stale: the holder died without cleaning up (crash, SIGKILL). Take it over. Two starters
      // racing on the same stale file could both unlink it; the window is one syscall at start-up.
      try {
        unlinkSync(this.file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new MissionError('DATA_DIR_LOCKED', `could not take the data directory lock ${this.file}`, {
      lock_file: this.file,
    });
  }

  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    heldLocks.delete(this);
    if (readHolder(this.file) === process.pid) {
      try {
        unlinkSync(this.file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
}
