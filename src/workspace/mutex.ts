import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MissionError, isProcessAlive } from '../core/index.js';

/**
 * Per-path file locks (SPEC §7) that hold within this process (a FIFO queue per path) and
 * across processes (a lock file `<path>.lock` holding `{pid, token}`, created atomically).
 * A lock file whose holder pid is dead is stale and is taken over under a short takeover guard,
 * so two processes cannot both break it and both believe they hold it.
 */
export interface FileMutexOptions {
  /** How long one attempt waits for a lock (default 30 s, SPEC §7). */
  timeoutMs?: number;
  /** Further attempts after the first one times out (default 3), then LOCK_TIMEOUT. */
  retries?: number;
}

export interface LockHolder {
  pid: number;
  token: string;
  at: number;
}

interface LocalQueue {
  waiters: (() => void)[];
}

/**
 * Tokens of the locks this process holds right now, across all FileMutex instances: a lock
 * file naming our own pid with a token not in here was left by us and is stale.
 */
const heldByThisProcess = new Set<string>();

const POLL_MIN_MS = 2;
const POLL_MAX_MS = 50;

export function lockFileOf(file: string): string {
  return `${file}.lock`;
}

function takeoverGuardOf(lockFile: string): string {
  return `${lockFile}.takeover`;
}

/** Whether the holder of a lock file may still be using it. */
function holderIsLive(holder: LockHolder): boolean {
  if (holder.pid === process.pid) return heldByThisProcess.has(holder.token);
  return isProcessAlive(holder.pid);
}


async function readHolder(lockFile: string): Promise<LockHolder | null | 'missing'> {
  let text: string;
  try {
    text = await readFile(lockFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.token === 'string') return { pid: parsed.pid, token: parsed.token, at: parsed.at ?? 0 };
  } catch {
    // fall through: unreadable holder
  }
  return null;
}

/**
 * Creates `target` holding `holder` if it does not exist, atomically and never half-written:
 * the content goes to a temporary first, then `link()` publishes it (fails with EEXIST).
 */
async function createExclusive(target: string, holder: LockHolder): Promise<boolean> {
  const tmp = path.join(path.dirname(target), `.tmp-lock-${holder.token}-${randomBytes(4).toString('hex')}`);
  await writeFile(tmp, JSON.stringify(holder), { flag: 'wx' });
  try {
    await link(tmp, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function removeIfHeldBy(file: string, token: string): Promise<void> {
  const holder = await readHolder(file);
  if (holder !== 'missing' && holder !== null && holder.token === token) await unlink(file).catch(() => undefined);
}

export class LockTimeoutError extends MissionError {
  constructor(file: string, waitedMs: number, attempts: number) {
    super('LOCK_TIMEOUT', `Could not lock ${path.basename(file)} within ${waitedMs} ms (${attempts} attempts)`, {
      path: file,
      waited_ms: waitedMs,
      attempts,
    });
  }
}

export class FileMutex {
  readonly timeoutMs: number;
  readonly retries: number;
  private readonly local = new Map<string, LocalQueue>();

  constructor(opts: FileMutexOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 3;
  }

  /** Runs `fn` holding the lock of `file`. */
  async withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
    return this.withLocks([file], fn);
  }

  /** Runs `fn` holding the locks of all `files`, taken in sorted order so no two callers deadlock. */
  async withLocks<T>(files: readonly string[], fn: () => Promise<T>): Promise<T> {
    const keys = [...new Set(files.map((f) => path.resolve(f)))].sort();
    const held: (() => Promise<void>)[] = [];
    try {
      for (const key of keys) held.push(await this.acquire(key));
      return await fn();
    } finally {
      for (const release of held.reverse()) await release();
    }
  }

  /** Takes the lock of `file`; resolves to its release function. */
  async acquire(file: string): Promise<() => Promise<void>> {
    const key = path.resolve(file);
    const started = Date.now();
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const deadline = Date.now() + this.timeoutMs;
      if (!(await this.acquireLocal(key, deadline))) {
        if (attempt < this.retries) await sleep(Math.min(1000, 10 * 2 ** attempt));
        continue;
      }
      const token = randomBytes(12).toString('hex');
      let ok = false;
      heldByThisProcess.add(token);
      try {
        ok = await this.acquireFile(lockFileOf(key), { pid: process.pid, token, at: Date.now() }, deadline);
      } finally {
        if (!ok) {
          heldByThisProcess.delete(token);
          this.releaseLocal(key);
        }
      }
      if (ok) {
        let released = false;
        return async () => {
          if (released) return;
          released = true;
          try {
            await removeIfHeldBy(lockFileOf(key), token);
          } finally {
            heldByThisProcess.delete(token);
            this.releaseLocal(key);
          }
        };
      }
      if (attempt < this.retries) await sleep(Math.min(1000, 10 * 2 ** attempt));
    }
    throw new LockTimeoutError(key, Date.now() - started, this.retries + 1);
  }

  private async acquireLocal(key: string, deadline: number): Promise<boolean> {
    const queue = this.local.get(key);
    if (!queue) {
      this.local.set(key, { waiters: [] });
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = queue.waiters.indexOf(wake);
        if (i >= 0) queue.waiters.splice(i, 1);
        resolve(false);
      }, Math.max(0, deadline - Date.now()));
      queue.waiters.push(wake);
    });
  }

  /** Hands the lock to the next local waiter (FIFO), or frees it. */
  private releaseLocal(key: string): void {
    const queue = this.local.get(key);
    if (!queue) return;
    const next = queue.waiters.shift();
    if (next) next();
    else this.local.delete(key);
  }

  private async acquireFile(lockFile: string, me: LockHolder, deadline: number): Promise<boolean> {
    await mkdir(path.dirname(lockFile), { recursive: true });
    let pause = POLL_MIN_MS;
    for (;;) {
      if (await createExclusive(lockFile, me)) return true;
      const holder = await readHolder(lockFile);
      if (holder === 'missing') continue; // released between our link and our read
      if (holder === null || !holderIsLive(holder)) await this.takeOverStale(lockFile, holder);
      else {
        if (Date.now() >= deadline) return false;
        await sleep(Math.min(pause, Math.max(1, deadline - Date.now())) + Math.random() * pause);
        pause = Math.min(POLL_MAX_MS, pause * 2);
      }
      if (Date.now() >= deadline) return (await createExclusive(lockFile, me)) ? true : false;
    }
  }

  /**
   * Removes a lock whose holder is dead (or whose content is unreadable, which `link()` makes
   * impossible for our own writers), under a guard file so only one taker removes it and a
   * fresh lock taken meanwhile is never deleted by mistake.
   */
  private async takeOverStale(lockFile: string, seen: LockHolder | null): Promise<void> {
    const guard = takeoverGuardOf(lockFile);
    const me: LockHolder = { pid: process.pid, token: randomBytes(12).toString('hex'), at: Date.now() };
    heldByThisProcess.add(me.token);
    if (!(await createExclusive(guard, me))) {
      heldByThisProcess.delete(me.token);
      const guardHolder = await readHolder(guard);
      // A taker that died inside the guard leaves it behind; its section is tiny, so clear it.
      if (guardHolder !== 'missing' && (guardHolder === null || !holderIsLive(guardHolder))) await unlink(guard).catch(() => undefined);
      await sleep(POLL_MIN_MS);
      return;
    }
    try {
      const now = await readHolder(lockFile);
      const same = now !== 'missing' && (now === null ? seen === null : seen !== null && now.token === seen.token);
      if (same && (now === null || !holderIsLive(now))) await unlink(lockFile).catch(() => undefined);
    } finally {
      await removeIfHeldBy(guard, me.token);
      heldByThisProcess.delete(me.token);
    }
  }
}
