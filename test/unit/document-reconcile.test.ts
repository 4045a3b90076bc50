import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectFiles } from '../../src/actors/index.js';
import { Workspace, createProjectFiles, learnedExcerpt } from '../../src/workspace/index.js';
import { agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * SPEC §7: the DB is the source of truth and the server the single writer of CHRONICLE.md (and
 * of learned.md's distilled summaries). update_chronicle and distill_memory commit their event
 * first and write the file after; a process that dies in between leaves the file behind the
 * log, and a retry with the same key only replays the stored answer. The next start writes what
 * is missing, in seq order and once. Real runtime, real SQLite file, real workspace.
 */
const shuri = agentBy('shuri', 'vanguard');
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let dirs: string[] = [];
const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mc-docs-'));
  dirs.push(dir);
  return dir;
}

type LosableEffect = 'syncChronicle' | 'distillMemory';

/** The workspace's file effects, where the next `times` calls of `effect` die before writing (as a killed process would). */
function losing(dir: string, effect: LosableEffect, times = 1): ProjectFiles {
  const files = createProjectFiles(new Workspace({ dataDir: dir }));
  let left = times;
  const real = files[effect] as (...args: unknown[]) => Promise<void>;
  const lossy = (...args: unknown[]): Promise<void> => (left-- > 0 ? Promise.reject(new Error('killed before the write')) : real(...args));
  return { ...files, [effect]: lossy };
}

/** A runtime on `dir` (a start, or a restart), once its start-up effects have run. */
async function start(dir: string, files?: ProjectFiles): Promise<RuntimeFixture> {
  const f = await openRuntime({ scheduling: false, logger: quiet, ...(files ? { files } : {}) }, dir);
  open.push(f);
  await f.rt.settled();
  return f;
}

async function stop(f: RuntimeFixture): Promise<void> {
  await f.close();
  open.splice(open.indexOf(f), 1);
}

async function squad(dir: string, files?: ProjectFiles): Promise<RuntimeFixture> {
  const f = await start(dir, files);
  await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
  await f.exec('project.init', { project_name: 'Vanguard', project_id: 'vanguard', base_id: ['shuri'] });
  await f.rt.settled();
  return f;
}

const chronicleFile = (dir: string): string => join(dir, 'projects/vanguard/CHRONICLE.md');
const learnedFile = (dir: string): string => join(dir, 'projects/vanguard/agents/shuri/learned.md');
const workingFile = (dir: string): string => join(dir, 'projects/vanguard/agents/shuri/working.md');

/** Entries by their `## ` heading, as a reader splits the document (the text before the first is its preamble). */
function entryBodies(md: string): string[] {
  return md
    .split(/^## /m)
    .slice(1)
    .map((block) => block.slice(block.indexOf('\n') + 1).trim());
}

function markOf(md: string): number | null {
  const m = /^<!-- mission-control: holds events through seq (\d+) -->$/m.exec(md.slice(0, md.search(/^## /m) >>> 0));
  return m ? Number(m[1]) : null;
}

function seqsOf(f: RuntimeFixture, type: string): number[] {
  return f.store.db
    .prepare<[string], { seq: number }>("SELECT seq FROM events WHERE project_id = 'vanguard' AND type = ? ORDER BY seq")
    .all(type)
    .map((r) => r.seq);
}

describe('CHRONICLE.md follows the event log', () => {
  it('gets at the next start, exactly once, an entry whose write died after its commit', async () => {
    const dir = dataDir();
    const first = await squad(dir, losing(dir, 'syncChronicle'));
    await expect(first.exec('control.update_chronicle', { summary: 'Shipped the board.' }, shuri, 'chron-1')).resolves.toEqual({ ok: true });
    expect(seqsOf(first, 'chronicle.updated')).toHaveLength(1);
    expect(readFileSync(chronicleFile(dir), 'utf8')).not.toContain('Shipped the board.');
    // The retry replays the stored answer: nothing writes the entry before the next start.
    await expect(first.exec('control.update_chronicle', { summary: 'Shipped the board.' }, shuri, 'chron-1')).resolves.toEqual({ ok: true });
    await first.rt.settled();
    expect(readFileSync(chronicleFile(dir), 'utf8')).not.toContain('Shipped the board.');
    await stop(first);

    const second = await start(dir);
    const md = readFileSync(chronicleFile(dir), 'utf8');
    expect(entryBodies(md)).toEqual(['Shipped the board.']);
    expect(markOf(md)).toBe(seqsOf(second, 'chronicle.updated')[0]);
    expect(md.startsWith('# Chronicle: Vanguard\n')).toBe(true);
  });

  it('restarting twice after the catch-up adds nothing', async () => {
    const dir = dataDir();
    const first = await squad(dir, losing(dir, 'syncChronicle', 3));
    for (const summary of ['One.', 'Two.', 'Three.']) await first.exec('control.update_chronicle', { summary }, shuri);
    await stop(first);
    await stop(await start(dir));
    const caughtUp = readFileSync(chronicleFile(dir), 'utf8');
    expect(entryBodies(caughtUp)).toEqual(['One.', 'Two.', 'Three.']);
    await stop(await start(dir));
    await stop(await start(dir));
    expect(readFileSync(chronicleFile(dir), 'utf8')).toBe(caughtUp);
  });

  it('writes, in seq order, the entry an earlier write left out when the next update commits', async () => {
    const dir = dataDir();
    const files = createProjectFiles(new Workspace({ dataDir: dir }));
    let calls = 0;
    const f = await squad(dir, { ...files, syncChronicle: (p, plan) => (++calls === 2 ? Promise.reject(new Error('disk full')) : files.syncChronicle(p, plan)) });
    for (const summary of ['First.', 'Second, lost.', 'Third.']) await f.exec('control.update_chronicle', { summary }, shuri);
    const md = readFileSync(chronicleFile(dir), 'utf8');
    expect(entryBodies(md)).toEqual(['First.', 'Second, lost.', 'Third.']);
    expect(markOf(md)).toBe(seqsOf(f, 'chronicle.updated').at(-1));
  });

  it('cannot be told by a summary quoting the seq mark that later entries are written', async () => {
    const dir = dataDir();
    const f = await squad(dir);
    const forged = 'Quoting a mark:\n<!-- mission-control: holds events through seq 9999 -->';
    await f.exec('control.update_chronicle', { summary: forged }, shuri);
    await f.exec('control.update_chronicle', { summary: 'After the quote.' }, shuri);
    await stop(f);
    await stop(await start(dir));
    const md = readFileSync(chronicleFile(dir), 'utf8');
    expect(entryBodies(md)).toEqual([forged, 'After the quote.']);
    expect(markOf(md)).toBeLessThan(9999);
  });

  it('places a chronicle written before seq marks by its last entry and appends only what follows it', async () => {
    const dir = dataDir();
    const first = await squad(dir, losing(dir, 'syncChronicle', 2));
    await first.exec('control.update_chronicle', { summary: 'Old entry.' }, shuri);
    await first.exec('control.update_chronicle', { summary: 'Lost entry.', technical_debt: 'no tests' }, shuri);
    const [old] = first.store.db.prepare<[], { ts: number }>("SELECT ts FROM events WHERE type = 'chronicle.updated' ORDER BY seq").all();
    await stop(first);
    // The file as the code before seq marks wrote it: the first entry, no mark.
    const legacy = new Workspace({ dataDir: dir });
    await legacy.appendChronicle('vanguard', { at: old!.ts, author: 'shuri:vanguard', summary: 'Old entry.' });
    expect(markOf(readFileSync(chronicleFile(dir), 'utf8'))).toBeNull();

    await stop(await start(dir));
    const md = readFileSync(chronicleFile(dir), 'utf8');
    expect(entryBodies(md)).toEqual(['Old entry.', 'Lost entry.\n\n**Technical debt:** no tests']);
    expect(markOf(md)).not.toBeNull();
  });
});

describe('learned.md follows the event log', () => {
  it('distill_memory commits its event before it writes, and answers once learned.md holds the summary', async () => {
    const dir = dataDir();
    const files = createProjectFiles(new Workspace({ dataDir: dir }));
    const committedBeforeWrite: number[] = [];
    let f: RuntimeFixture | null = null;
    f = await squad(dir, {
      ...files,
      distillMemory: (p, soul, plan, opts) => {
        committedBeforeWrite.push(seqsOf(f!, 'memory.distilled').length);
        return files.distillMemory(p, soul, plan, opts);
      },
    });
    writeFileSync(workingFile(dir), 'tried A; B works');
    await expect(f.exec('control.distill_memory', { summary: 'B works because of caching.' }, shuri)).resolves.toEqual({ ok: true });
    expect(committedBeforeWrite).toEqual([1]);
    expect(entryBodies(readFileSync(learnedFile(dir), 'utf8'))).toEqual(['B works because of caching.']);
    expect(readFileSync(workingFile(dir), 'utf8')).not.toContain('tried A');
    await expect(f.exec('control.distill_memory', { summary: '  ' }, shuri)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(seqsOf(f, 'memory.distilled')).toHaveLength(1);
  });

  it('gets at the next start, exactly once, a summary whose distill died after its commit; working.md keeps its notes', async () => {
    const dir = dataDir();
    const first = await squad(dir, losing(dir, 'distillMemory'));
    writeFileSync(workingFile(dir), 'notes of the task');
    await first.exec('control.distill_memory', { summary: 'Lesson one.' }, shuri, 'distill-1');
    expect(seqsOf(first, 'memory.distilled')).toHaveLength(1);
    expect(readFileSync(learnedFile(dir), 'utf8')).not.toContain('Lesson one.');
    await first.exec('control.distill_memory', { summary: 'Lesson one.' }, shuri, 'distill-1');
    await stop(first);

    const second = await start(dir);
    const md = readFileSync(learnedFile(dir), 'utf8');
    expect(entryBodies(md)).toEqual(['Lesson one.']);
    expect(markOf(md)).toBe(seqsOf(second, 'memory.distilled')[0]);
    // Nothing is lost: the notes stay until the next distill archives them.
    expect(readFileSync(workingFile(dir), 'utf8')).toBe('notes of the task');
    // The prompt's excerpt carries the lesson, not the mark.
    const excerpt = learnedExcerpt((await new Workspace({ dataDir: dir }).readMemory('vanguard', 'shuri')).learned);
    expect(excerpt).toContain('Lesson one.');
    expect(excerpt).not.toContain('mission-control: holds events');
  });

  it('restarting twice after the catch-up adds nothing, and the next distill appends after it', async () => {
    const dir = dataDir();
    const first = await squad(dir, losing(dir, 'distillMemory', 2));
    await first.exec('control.distill_memory', { summary: 'Lesson one.' }, shuri);
    await first.exec('control.distill_memory', { summary: 'Lesson two.' }, shuri);
    await stop(first);
    await stop(await start(dir));
    const caughtUp = readFileSync(learnedFile(dir), 'utf8');
    expect(entryBodies(caughtUp)).toEqual(['Lesson one.', 'Lesson two.']);
    await stop(await start(dir));
    const last = await start(dir);
    expect(readFileSync(learnedFile(dir), 'utf8')).toBe(caughtUp);
    await last.exec('control.distill_memory', { summary: 'Lesson three.' }, shuri);
    expect(entryBodies(readFileSync(learnedFile(dir), 'utf8'))).toEqual(['Lesson one.', 'Lesson two.', 'Lesson three.']);
  });
});
