import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MissionError, processIdentity } from '../../src/core/index.js';
import { DataDirLock, openStore } from '../../src/store/index.js';
import { ChildOutput, exitOf, spawnTs, stopChild } from '../support/child.js';
import { spawn, type ChildProcess } from 'node:child_process';

let dir: string;
let child: ChildProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-store-'));
});
afterEach(async () => {
  if (child) await stopChild(child);
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

async function openError(dataDir: string): Promise<MissionError> {
  try {
    (await openStore({ dataDir })).close();
  } catch (err) {
    if (err instanceof MissionError) return err;
    throw err;
  }
  throw new Error('expected openStore to fail');
}

describe('openStore', () => {
  it('sizes the page cache from cacheMb (MiB), the resident memory SQLite keeps once it is full', async () => {
    const store = await openStore({ dataDir: join(dir, 'data'), cacheMb: 2 });
    expect(store.db.pragma('cache_size', { simple: true })).toBe(-2048);
    store.close();
  });

  it('opens a migrated database with WAL and foreign keys, holding the pid lock until close', async () => {
    const store = await openStore({ dataDir: join(dir, 'data'), synchronous: 'FULL', busyTimeoutMs: 1234 });
    expect(store.file).toBe(join(dir, 'data', 'mission-control.db'));
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(1234);
    // Not set: 4 MiB (a negative cache_size is KiB).
    expect(store.db.pragma('cache_size', { simple: true })).toBe(-4 * 1024);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM projects').get()).toEqual({ n: 0 });
    const lockFile = join(dir, 'data', 'mission-control.lock');
    expect(readFileSync(lockFile, 'utf8')).toBe(`${process.pid}\n${processIdentity(process.pid)}\n`);
    store.close();
    expect(existsSync(lockFile)).toBe(false);
    store.close(); // twice is harmless
  });

  it('refuses a data dir held by another live process, naming its pid, and takes it over once that process dies', async () => {
    const dataDir = join(dir, 'data');
    child = spawnTs('test/support/fixtures/hold-store.ts', [dataDir]);
    const out = new ChildOutput(child);
    await out.waitFor(/^holding /);
    const err = await openError(dataDir);
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(err.message).toContain(String(child.pid));
    expect(err.data).toMatchObject({ pid: child.pid });
    expect(DataDirLock.holder(dataDir)).toBe(child.pid);

    child.kill('SIGKILL'); // no chance to clean up: the lock file stays behind, stale
    expect(await exitOf(child)).toBe('SIGKILL');
    expect(existsSync(join(dataDir, 'mission-control.lock'))).toBe(true);
    expect(DataDirLock.holder(dataDir)).toBeNull();
    const store = await openStore({ dataDir });
    expect(readFileSync(join(dataDir, 'mission-control.lock'), 'utf8').split('\n')[0]).toBe(
      String(process.pid),
    );
    store.close();
  });

  it('takes over a lock whose pid is alive but now another process (its start time or boot differs)', async () => {
    const dataDir = join(dir, 'data');
    (await openStore({ dataDir })).close();
    child = spawn('sleep', ['30'], { stdio: 'ignore' }); // the stranger that got the dead holder's pid
    const stranger = processIdentity(child.pid!)!;
    const [boot, start] = stranger.split(':') as [string, string];
    const lockFile = join(dataDir, 'mission-control.lock');
    for (const recorded of [
      `${boot}:${Number(start) + 1}`,
      `00000000-0000-0000-0000-000000000000:${start}`,
    ]) {
      writeFileSync(lockFile, `${child.pid}\n${recorded}\n`);
      expect(DataDirLock.holder(dataDir)).toBeNull();
      const store = await openStore({ dataDir });
      expect(readFileSync(lockFile, 'utf8')).toBe(`${process.pid}\n${processIdentity(process.pid)}\n`);
      store.close();
    }
    // A lock file from a build that wrote the pid only: a live pid still holds it.
    writeFileSync(lockFile, `${child.pid}\n`);
    expect((await openError(dataDir)).data).toMatchObject({ pid: child.pid });
  });

  it('refuses a lock naming this live process with its true identity, naming the pid', async () => {
    const dataDir = join(dir, 'data');
    (await openStore({ dataDir })).close();
    writeFileSync(join(dataDir, 'mission-control.lock'), `${process.pid}\n${processIdentity(process.pid)}\n`);
    expect(DataDirLock.holder(dataDir)).toBe(process.pid);
    const err = await openError(dataDir);
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(err.message).toContain(`process ${process.pid}`);
    expect(err.data).toMatchObject({ pid: process.pid });
  });

  it('refuses a second open in the same process too', async () => {
    const dataDir = join(dir, 'data');
    const store = await openStore({ dataDir });
    try {
      expect((await openError(dataDir)).code).toBe('DATA_DIR_LOCKED');
    } finally {
      store.close();
    }
  });

  it('treats a lock file with garbage or a dead pid as stale', async () => {
    const dataDir = join(dir, 'data');
    (await openStore({ dataDir })).close();
    writeFileSync(join(dataDir, 'mission-control.lock'), 'not a pid\n');
    (await openStore({ dataDir })).close();
    writeFileSync(join(dataDir, 'mission-control.lock'), '2147483646\n');
    (await openStore({ dataDir })).close();
  });

  it('refuses to run an unmigrated database when migrate is false', async () => {
    const dataDir = join(dir, 'data');
    try {
      await openStore({ dataDir, migrate: false });
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(MissionError);
      expect((err as MissionError).code).toBe('STORE_UNAVAILABLE');
      expect((err as MissionError).message).toContain('migrate up');
    }
    expect(existsSync(join(dataDir, 'mission-control.lock'))).toBe(false);
  });
});
