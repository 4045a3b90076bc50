import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MissionError, isProcessAlive, processIdentity } from '../core/index.js';

export const DATA_DIR_LOCK_FILE = 'mission-control.lock';

/** Who wrote a lock file: its pid and, where /proc tells it, its boot id + start time. */
interface LockHolder {
  pid: number;
  identity: string | null;
}

/**
 * The lock file is `<pid>\n<identity>\n`: the pid stays the first line, so an older build (and
 * an operator's `cat`) still reads it; a file with the pid only is from such a build.
 */
function lockFileText(): string {
  return `${process.pid}\n${processIdentity(process.pid) ?? ''}\n`;
}

function readHolder(file: string): LockHolder | null {
  try {
    const [pidLine = '', identity = ''] = readFileSync(file, 'utf8').split('\n');
    const pid = Number.parseInt(pidLine.trim(), 10);
    return Number.isInteger(pid) ? { pid, identity: identity.trim() || null } : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * A holder is live while its pid runs and is still the process that wrote the lock: after a
 * crash and a reboot or pid reuse, that pid may name a stranger, whose start time differs.
 * Without an identity on either side (older lock file, no /proc) the pid alone decides.
 */
function holderIsLive(holder: LockHolder): boolean {
  if (!isProcessAlive(holder.pid)) return false;
  if (holder.identity === null) return true;
  const now = processIdentity(holder.pid);
  return now === null || now === holder.identity;
}

/** Locks this process holds; one shared exit hook removes their files (not one listener per lock). */
const heldLocks = new Set<DataDirLock>();
let exitHookInstalled = false;

function releaseAllOnExit(): void {
  for (const lock of [...heldLocks]) lock.release();
}

/**
 * Exclusive ownership of a data directory (SPEC §7: one runtime process owns a data dir).
 * The lock file `<data_dir>/mission-control.lock` holds the owner's pid and process identity; a
 * lock whose pid is dead, or now belongs to another process, is stale and taken over. Created
 * with O_EXCL so two starters cannot both win.
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
    const holder = readHolder(join(dataDir, DATA_DIR_LOCK_FILE));
    return holder !== null && holderIsLive(holder) ? holder.pid : null;
  }

  private take(): void {
    // Two rounds: the second one follows the removal of a stale lock.
    for (let round = 0; round < 2; round++) {
      try {
        const fd = openSync(this.file, 'wx', 0o644);
        try {
          writeSync(fd, lockFileText());
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
      const holder = readHolder(this.file);
      if (holder !== null && holderIsLive(holder)) {
        throw new MissionError(
          'DATA_DIR_LOCKED',
          `data directory is in use by process ${holder.pid} (lock file ${this.file})`,
          { pid: holder.pid, lock_file: this.file },
        );
      }
      // Stale: the holder died without cleaning up (crash, SIGKILL), its pid maybe reused since.
      // Take it over. Two starters racing on the same stale file could both unlink it; the window
      // is one syscall at start-up.
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
    if (readHolder(this.file)?.pid === process.pid) {
      try {
        unlinkSync(this.file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
}
