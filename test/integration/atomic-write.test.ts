import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Workspace, sweepTemporaries } from '../../src/workspace/index.js';
import { ChildOutput, REPO_ROOT, exitOf, spawnTs, stopChild } from '../support/child.js';

/**
 * SPEC §7: writes are atomic (write .tmp, fsync, rename). A writer killed with SIGKILL at an
 * arbitrary moment leaves the file as it was before or after a write, never partial.
 */
const WORKSPACE_URL = pathToFileURL(path.join(REPO_ROOT, 'src/workspace/index.ts')).href;
const SIZE = 2 * 1024 * 1024;

// `rewrite <file> <size>`: rewrites the file forever, alternating all-A and all-B contents.
// `chronicle <dataDir>`: appends numbered chronicle entries forever.
const CHILD = `
import { atomicWrite, Workspace } from '${WORKSPACE_URL}';
const [mode, target, size] = process.argv.slice(2);
if (mode === 'rewrite') {
  const a = Buffer.alloc(Number(size), 'A');
  const b = Buffer.alloc(Number(size), 'B');
  console.log('ready');
  for (let i = 0; ; i++) {
    await atomicWrite(target, i % 2 === 0 ? a : b);
    console.log('wrote ' + i);
  }
} else {
  const ws = new Workspace({ dataDir: target, lockTimeoutMs: 30000 });
  console.log('ready');
  for (let i = 0; ; i++) {
    await ws.appendChronicle('crash', { at: Date.now(), author: 'writer', summary: 'entry-' + i + ' ' + 'z'.repeat(20000) });
    console.log('appended ' + i);
  }
}
`;

let dir: string;
let childFile: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mc-atomic-'));
  childFile = path.join(dir, 'child.mts');
  writeFileSync(childFile, CHILD);
});
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a writer, waits for `progress` on its output, lets it write `delayMs` more, SIGKILLs it. */
async function killWhileWriting(args: string[], progress: RegExp, delayMs: number): Promise<void> {
  const child = spawnTs(childFile, args);
  children.push(child);
  await new ChildOutput(child).waitFor(progress, 60_000);
  await sleep(delayMs);
  child.kill('SIGKILL');
  expect(await exitOf(child)).toBe('SIGKILL');
}

describe('atomic writes under SIGKILL', () => {
  it('leaves the file whole (before or after) in every one of 12 kills', async () => {
    const file = path.join(dir, 'state.bin');
    writeFileSync(file, 'INITIAL');
    const outcomes = new Map<string, number>();
    let killedMidWrite = 0;
    for (let round = 0; round < 12; round++) {
      // Even rounds may kill the very first write; odd ones kill after at least one whole write.
      await killWhileWriting(['rewrite', file, String(SIZE)], round % 2 === 0 ? /^ready$/ : /^wrote \d+$/, 20 + round * 15);
      const content = readFileSync(file);
      const kind = content.toString('latin1') === 'INITIAL' ? 'initial' : content.length === SIZE && content.every((c) => c === content[0]) ? String.fromCharCode(content[0]!) : 'PARTIAL';
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      expect(kind, `round ${round}: ${content.length} bytes`).not.toBe('PARTIAL');
      // A temporary left behind proves this kill landed in the middle of a write.
      const temps = readdirSync(dir).filter((n) => n.startsWith('.tmp-'));
      if (temps.length > 0) killedMidWrite++;
      await sweepTemporaries(dir, 0);
    }
    expect(killedMidWrite).toBeGreaterThan(0);
    expect((outcomes.get('A') ?? 0) + (outcomes.get('B') ?? 0)).toBeGreaterThan(0);
  });

  it('keeps CHRONICLE.md a sequence of whole entries when its writer is killed, and the next writer carries on', async () => {
    const dataDir = path.join(dir, 'data');
    const ws = new Workspace({ dataDir, lockTimeoutMs: 5000, lockRetries: 0 });
    await ws.initProject('crash', { name: 'Crash' });
    const file = path.join(dataDir, 'projects/crash/CHRONICLE.md');
    let lastCount = 0;
    for (let round = 0; round < 5; round++) {
      await killWhileWriting(['chronicle', dataDir], /^appended \d+$/, 5 + round * 20);
      const blocks = readFileSync(file, 'utf8').split(/^## /m).slice(1);
      const numbers = blocks.map((b) => {
        const m = /^\S+ · (writer|parent)\n\n(?:entry-(\d+) z{20000}|parent-after-kill)\n\n?$/.exec(b);
        expect(m, `partial entry: ${JSON.stringify(b.slice(0, 80))}…${JSON.stringify(b.slice(-40))}`).not.toBeNull();
        return m![2];
      });
      expect(blocks.length).toBeGreaterThanOrEqual(lastCount);
      // The killed writer may have left its lock file behind; its pid is dead, so we take over.
      await ws.appendChronicle('crash', { at: Date.now(), author: 'parent', summary: 'parent-after-kill' });
      lastCount = blocks.length + 1;
      expect(numbers.length).toBeGreaterThan(0);
    }
    const final = readFileSync(file, 'utf8').split(/^## /m).slice(1);
    expect(final.filter((b) => b.includes('parent-after-kill'))).toHaveLength(5);
  });
});
