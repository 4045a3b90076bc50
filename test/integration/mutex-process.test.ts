import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import { FileMutex, Workspace, lockFileOf } from '../../src/workspace/index.js';
import { ChildOutput, REPO_ROOT, exitOf, spawnTs, stopChild } from '../support/child.js';

/**
 * SPEC §7: file locks hold across processes (lock files with the holder's pid, released when
 * the holder dies). Real child Node processes append to the same CHRONICLE.md as this one.
 */
const WORKSPACE_URL = pathToFileURL(path.join(REPO_ROOT, 'src/workspace/index.ts')).href;

// The child program: `append <dataDir> <label> <count> <goFile>` or `hold <file>`.
const CHILD = `
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileMutex, Workspace } from '${WORKSPACE_URL}';
const [mode, ...args] = process.argv.slice(2);
if (mode === 'append') {
  const [dataDir, label, count, goFile] = args;
  const ws = new Workspace({ dataDir, lockTimeoutMs: 30000 });
  console.log('ready');
  while (!existsSync(goFile)) await sleep(2);
  const from = Date.now();
  for (let i = 0; i < Number(count); i++) {
    await ws.appendChronicle('shared', { at: Date.now(), author: label, summary: label + '-' + i + ' ' + 'payload '.repeat(40).trim() });
  }
  console.log('window ' + from + ' ' + Date.now());
  console.log('done');
} else if (mode === 'hold') {
  const release = await new FileMutex().acquire(args[0]);
  console.log('locked');
  setInterval(() => undefined, 1000);
  void release;
}
`;

let dir: string;
let childFile: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mc-mutex-proc-'));
  childFile = path.join(dir, 'child.mts');
  writeFileSync(childFile, CHILD);
});
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[]): ChildOutput {
  const child = spawnTs(childFile, args);
  children.push(child);
  return new ChildOutput(child);
}

describe('file mutex across processes', () => {
  it('two processes and this one append 300 entries to one CHRONICLE.md: none lost, none interleaved', async () => {
    const dataDir = path.join(dir, 'data');
    const ws = new Workspace({ dataDir, lockTimeoutMs: 30_000 });
    await ws.initProject('shared', { name: 'Shared' });
    const go = path.join(dir, 'go');
    const a = start(['append', dataDir, 'proc-a', '100', go]);
    const b = start(['append', dataDir, 'proc-b', '100', go]);
    await Promise.all([a.waitFor(/^ready$/), b.waitFor(/^ready$/)]);
    writeFileSync(go, '');
    const from = Date.now();
    for (let i = 0; i < 100; i++) {
      await ws.appendChronicle('shared', { at: Date.now(), author: 'parent', summary: `parent-${i} ${'payload '.repeat(40).trim()}` });
    }
    const windows = [[from, Date.now()]];
    await Promise.all([a.waitFor(/^done$/, 90_000), b.waitFor(/^done$/, 90_000)]);
    for (const c of [a, b]) windows.push((await c.waitFor(/^window \d+ \d+$/)).split(' ').slice(1).map(Number));
    expect(await exitOf(a.child)).toBe(0);
    expect(await exitOf(b.child)).toBe(0);

    const text = readFileSync(path.join(dataDir, 'projects/shared/CHRONICLE.md'), 'utf8');
    const blocks = text.split(/^## /m).slice(1);
    expect(blocks).toHaveLength(300);
    const seen = new Map<string, number>();
    for (const block of blocks) {
      // Each entry is exactly: heading, blank line, "<label>-<i> payload×40", blank line.
      const m = /^\S+ · (proc-a|proc-b|parent)\n\n(proc-a|proc-b|parent)-(\d+) ((?:payload ){39}payload)\n\n?$/.exec(block);
      expect(m, `malformed entry: ${JSON.stringify(block.slice(0, 120))}`).not.toBeNull();
      expect(m![1]).toBe(m![2]);
      const key = `${m![2]}-${m![3]}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const label of ['proc-a', 'proc-b', 'parent']) {
      for (let i = 0; i < 100; i++) expect(seen.get(`${label}-${i}`), `${label}-${i}`).toBe(1);
    }
    // Each writer's own entries stay in its order, and the writers really ran at the same time.
    for (const label of ['proc-a', 'proc-b', 'parent']) {
      const mine = blocks.map((bl) => new RegExp(`\\n${label}-(\\d+) `).exec(bl)?.[1]).filter((x) => x !== undefined).map(Number);
      expect(mine).toEqual(Array.from({ length: 100 }, (_, i) => i));
    }
    // The three writers really ran at the same time: some moment lies inside all three windows
    // (first append begun to last append done). Cross-process waiting is polling, not a fair
    // queue, so how often the writers take turns depends on the machine's load; that they never
    // interleave within an entry is what the lock promises, and the entries above show it.
    const latestStart = Math.max(...windows.map(([start]) => start!));
    const earliestEnd = Math.min(...windows.map(([, end]) => end!));
    expect(latestStart, JSON.stringify(windows)).toBeLessThan(earliestEnd);
    expect(existsSync(lockFileOf(path.join(dataDir, 'projects/shared/CHRONICLE.md')))).toBe(false);
  });

  it('waits for a lock held by a live process (LOCK_TIMEOUT), and takes it over once that process is killed', async () => {
    const file = path.join(dir, 'held.md');
    const holder = start(['hold', file]);
    await holder.waitFor(/^locked$/);
    const lockContent = JSON.parse(readFileSync(lockFileOf(file), 'utf8')) as { pid: number };
    expect(lockContent.pid).toBe(holder.child.pid);

    const impatient = new FileMutex({ timeoutMs: 150, retries: 1 });
    const err = await impatient.withLock(file, async () => 'no').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissionError);
    expect((err as MissionError).code).toBe('LOCK_TIMEOUT');

    holder.child.kill('SIGKILL');
    expect(await exitOf(holder.child)).toBe('SIGKILL');
    // The lock file outlived its holder; the next taker sees the dead pid and takes over.
    expect(existsSync(lockFileOf(file))).toBe(true);
    const started = Date.now();
    expect(await new FileMutex({ timeoutMs: 2000, retries: 0 }).withLock(file, async () => 'mine')).toBe('mine');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(existsSync(lockFileOf(file))).toBe(false);
  });
});
