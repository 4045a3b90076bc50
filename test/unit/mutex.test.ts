import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import { FileMutex, lockFileOf } from '../../src/workspace/index.js';

/** SPEC §7: per-path locks, a wait timeout with retries then LOCK_TIMEOUT, fixed lock order. */
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mc-mutex-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that is certainly not running: past the kernel's pid_max. */
function deadPid(): number {
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim());
  return max + 1000;
}

describe('FileMutex', () => {
  it('serialises critical sections on one path (no two holders at once)', async () => {
    const mutex = new FileMutex({ timeoutMs: 5000 });
    const file = path.join(dir, 'a.md');
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mutex.withLock(file, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await sleep(1);
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    // The in-process queue is FIFO: callers get the lock in the order they asked.
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(existsSync(lockFileOf(file))).toBe(false);
  });

  it('lets different paths proceed in parallel', async () => {
    const mutex = new FileMutex({ timeoutMs: 5000 });
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      ['x', 'y', 'z'].map((name) =>
        mutex.withLock(path.join(dir, name), async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await sleep(20);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(3);
  });

  it('writes the holder pid and a token into <path>.lock while held', async () => {
    const mutex = new FileMutex();
    const file = path.join(dir, 'held.md');
    await mutex.withLock(file, async () => {
      const holder = JSON.parse(readFileSync(lockFileOf(file), 'utf8')) as { pid: number; token: string };
      expect(holder.pid).toBe(process.pid);
      expect(holder.token).toMatch(/^[0-9a-f]{24}$/);
    });
    expect(existsSync(lockFileOf(file))).toBe(false);
  });

  it('fails with LOCK_TIMEOUT after the wait and its retries, and the holder keeps its lock', async () => {
    const holderMutex = new FileMutex({ timeoutMs: 5000 });
    const waiter = new FileMutex({ timeoutMs: 60, retries: 3 });
    const file = path.join(dir, 'busy.md');
    let release!: () => void;
    const held = holderMutex.withLock(file, () => new Promise<void>((r) => (release = r)));
    await sleep(10);
    const started = Date.now();
    const err = await waiter.withLock(file, async () => 'got it').catch((e: unknown) => e);
    const waited = Date.now() - started;
    expect(err).toBeInstanceOf(MissionError);
    expect((err as MissionError).code).toBe('LOCK_TIMEOUT');
    expect((err as MissionError).severity).toBe('transient');
    expect((err as MissionError).data.attempts).toBe(4);
    // Four attempts of 60 ms each (plus back-off) were made before giving up.
    expect(waited).toBeGreaterThanOrEqual(4 * 60);
    expect(existsSync(lockFileOf(file))).toBe(true);
    release();
    await held;
    expect(existsSync(lockFileOf(file))).toBe(false);
  });

  it('times out in-process waiters too (same mutex)', async () => {
    const mutex = new FileMutex({ timeoutMs: 40, retries: 1 });
    const file = path.join(dir, 'local.md');
    let release!: () => void;
    const held = mutex.withLock(file, () => new Promise<void>((r) => (release = r)));
    const err = await mutex.withLock(file, async () => 'late').catch((e: unknown) => e);
    expect((err as MissionError).code).toBe('LOCK_TIMEOUT');
    release();
    await held;
    // The timed-out waiter left the queue: the lock is free again.
    expect(await mutex.withLock(file, async () => 'free')).toBe('free');
  });

  it('takes over a lock file whose holder pid is dead', async () => {
    const mutex = new FileMutex({ timeoutMs: 500, retries: 0 });
    const file = path.join(dir, 'stale.md');
    writeFileSync(lockFileOf(file), JSON.stringify({ pid: deadPid(), token: 'dead', at: 0 }));
    expect(await mutex.withLock(file, async () => 'taken over')).toBe('taken over');
    expect(existsSync(lockFileOf(file))).toBe(false);
  });

  it('takes over a lock file naming this very process when no lock of ours holds that token', async () => {
    const mutex = new FileMutex({ timeoutMs: 500, retries: 0 });
    const file = path.join(dir, 'leftover.md');
    writeFileSync(lockFileOf(file), JSON.stringify({ pid: process.pid, token: 'left-behind', at: 0 }));
    expect(await mutex.withLock(file, async () => 'reclaimed')).toBe('reclaimed');
  });

  it('does not take over a lock file held by a live process', async () => {
    const mutex = new FileMutex({ timeoutMs: 50, retries: 0 });
    const file = path.join(dir, 'live.md');
    // pid 1 is always alive (and not ours to signal: EPERM counts as alive).
    writeFileSync(lockFileOf(file), JSON.stringify({ pid: 1, token: 'init', at: 0 }));
    const err = await mutex.withLock(file, async () => 'no').catch((e: unknown) => e);
    expect((err as MissionError).code).toBe('LOCK_TIMEOUT');
    expect(JSON.parse(readFileSync(lockFileOf(file), 'utf8'))).toMatchObject({ pid: 1, token: 'init' });
  });

  it('withLocks takes locks in sorted order, so opposite orders never deadlock', async () => {
    const mutex = new FileMutex({ timeoutMs: 2000, retries: 0 });
    const a = path.join(dir, 'a.md');
    const b = path.join(dir, 'b.md');
    const runs: Promise<string>[] = [];
    for (let i = 0; i < 30; i++) {
      const paths = i % 2 === 0 ? [a, b] : [b, a];
      runs.push(mutex.withLocks(paths, async () => {
        await sleep(1);
        return 'ok';
      }));
    }
    expect(await Promise.all(runs)).toEqual(Array(30).fill('ok'));
  });

  it('releases every lock when the critical section throws', async () => {
    const mutex = new FileMutex({ timeoutMs: 200, retries: 0 });
    const files = [path.join(dir, 'p.md'), path.join(dir, 'q.md')];
    await expect(mutex.withLocks(files, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    for (const f of files) expect(existsSync(lockFileOf(f))).toBe(false);
    expect(await mutex.withLocks(files, async () => 'again')).toBe('again');
  });

  it('releases the locks already taken when a later one times out', async () => {
    const holder = new FileMutex({ timeoutMs: 5000 });
    const mutex = new FileMutex({ timeoutMs: 30, retries: 0 });
    const first = path.join(dir, '1.md');
    const second = path.join(dir, '2.md');
    let release!: () => void;
    const held = holder.withLock(second, () => new Promise<void>((r) => (release = r)));
    await sleep(10);
    const err = await mutex.withLocks([first, second], async () => 'no').catch((e: unknown) => e);
    expect((err as MissionError).code).toBe('LOCK_TIMEOUT');
    expect(existsSync(lockFileOf(first))).toBe(false);
    release();
    await held;
  });
});
