import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, MissionError } from '../../src/core/index.js';
import { Workspace } from '../../src/workspace/index.js';

/** SPEC §6: the 4-layer memory stack and the folder tree of a project. */
let dataDir: string;
let clock: ManualClock;
let ws: Workspace;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'mc-memory-'));
  clock = new ManualClock(Date.UTC(2026, 0, 22, 10, 15, 0));
  ws = new Workspace({ dataDir, clock });
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const p = (...parts: string[]): string => path.join(dataDir, ...parts);

describe('memory stack', () => {
  it('initProject creates the SPEC §6 tree and is idempotent', async () => {
    await ws.initProject('vanguard', { name: 'Vanguard Ops', context: '# Rules\n' });
    for (const dir of ['daily', 'agents', 'src']) expect(existsSync(p('projects/vanguard', dir))).toBe(true);
    expect(readFileSync(p('projects/vanguard/.context'), 'utf8')).toBe('# Rules\n');
    expect(readFileSync(p('projects/vanguard/CHRONICLE.md'), 'utf8')).toMatch(/^# Chronicle: Vanguard Ops\n/);
    expect(readFileSync(p('projects/vanguard/KANBAN.md'), 'utf8')).toMatch(/^# Kanban: Vanguard Ops \(vanguard\)\n/);
    await ws.appendChronicle('vanguard', { at: clock.now(), author: 'shuri:vanguard', summary: 'first' });
    const chronicle = readFileSync(p('projects/vanguard/CHRONICLE.md'), 'utf8');
    await ws.initProject('vanguard', { name: 'Vanguard Ops' });
    // Re-initialising keeps what exists (chronicle, context).
    expect(readFileSync(p('projects/vanguard/CHRONICLE.md'), 'utf8')).toBe(chronicle);
    expect(readFileSync(p('projects/vanguard/.context'), 'utf8')).toBe('# Rules\n');
  });

  it('refuses ids that are not slugs before touching the disk', async () => {
    await expect(ws.initProject('../evil', { name: 'x' })).rejects.toBeInstanceOf(MissionError);
    await expect(ws.writeSoul('a/b', 'x')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('writeSoul writes the global L1 SOUL.md; initAgent the overlay, working and learned files', async () => {
    await ws.initProject('vanguard', { name: 'Vanguard' });
    await ws.writeSoul('shuri', '# Shuri v1\n');
    await ws.writeSoul('shuri', '# Shuri v2\n');
    expect(readFileSync(p('souls/shuri/SOUL.md'), 'utf8')).toBe('# Shuri v2\n');
    await ws.initAgent('vanguard', 'shuri');
    expect(readdirSync(p('projects/vanguard/agents/shuri')).sort()).toEqual(['SOUL.md', 'learned.md', 'working.md']);
    await expect(ws.initAgent('nowhere', 'shuri')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const memory = await ws.readMemory('vanguard', 'shuri');
    // An untouched overlay adds nothing to the base identity.
    expect(memory.soul_md).toBe('# Shuri v2\n');
    writeFileSync(p('projects/vanguard/agents/shuri/SOUL.md'), 'Prefers small PRs.\n');
    expect((await ws.readMemory('vanguard', 'shuri')).soul_md).toBe('# Shuri v2\n\nPrefers small PRs.\n');
  });

  it('distillMemory appends a dated summary to learned.md and archives then clears working.md', async () => {
    await ws.initProject('vanguard', { name: 'Vanguard' });
    await ws.initAgent('vanguard', 'shuri');
    writeFileSync(p('projects/vanguard/agents/shuri/working.md'), 'tried A, failed; B works');
    const first = await ws.distillMemory('vanguard', 'shuri', { summary: 'B works because of caching.' });
    expect(first.archived_path).toBe('agents/shuri/archive/working-20260122T101500000Z.md');
    expect(readFileSync(p('projects/vanguard', first.archived_path!), 'utf8')).toBe('tried A, failed; B works');
    const working = readFileSync(p('projects/vanguard/agents/shuri/working.md'), 'utf8');
    expect(working).not.toContain('tried A');

    clock.advance(3_600_000);
    writeFileSync(p('projects/vanguard/agents/shuri/working.md'), 'scratch to drop');
    const second = await ws.distillMemory('vanguard', 'shuri', { summary: 'Second lesson.', archiveWorkingNotes: false });
    expect(second.archived_path).toBeNull();
    expect(readFileSync(p('projects/vanguard/agents/shuri/working.md'), 'utf8')).toBe(working);
    expect(readdirSync(p('projects/vanguard/agents/shuri/archive'))).toHaveLength(1);

    const learned = readFileSync(p('projects/vanguard/agents/shuri/learned.md'), 'utf8');
    const entries = [...learned.matchAll(/^## (\S+)\n\n(.+)$/gm)].map((m) => [m[1], m[2]]);
    expect(entries).toEqual([
      ['2026-01-22T10:15:00.000Z', 'B works because of caching.'],
      ['2026-01-22T11:15:00.000Z', 'Second lesson.'],
    ]);
    await expect(ws.distillMemory('vanguard', 'shuri', { summary: '   ' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('archiveAgent moves the zone to agents/.archived/<soul>-<ts>/ and a new instance starts fresh', async () => {
    await ws.initProject('vanguard', { name: 'Vanguard' });
    await ws.initAgent('vanguard', 'shuri');
    writeFileSync(p('projects/vanguard/agents/shuri/learned.md'), 'old lessons');
    const archived = await ws.archiveAgent('vanguard', 'shuri');
    expect(archived).toBe('agents/.archived/shuri-20260122T101500000Z');
    expect(existsSync(p('projects/vanguard/agents/shuri'))).toBe(false);
    expect(readFileSync(p('projects/vanguard', archived!, 'learned.md'), 'utf8')).toBe('old lessons');
    expect(await ws.archiveAgent('vanguard', 'shuri')).toBeNull();
    await ws.initAgent('vanguard', 'shuri');
    expect(readFileSync(p('projects/vanguard/agents/shuri/learned.md'), 'utf8')).not.toContain('old lessons');
    // Archiving twice in the same millisecond keeps both archives.
    const again = await ws.archiveAgent('vanguard', 'shuri');
    expect(again).toBe('agents/.archived/shuri-20260122T101500000Z-2');
  });

  it('archiveProjectFiles moves a deleted project aside, out of reach of its id', async () => {
    await ws.initProject('vanguard', { name: 'Vanguard' });
    writeFileSync(p('projects/vanguard/src/app.ts'), 'code');
    expect(await ws.archiveProjectFiles('vanguard')).toBe('projects/.deleted/vanguard-20260122T101500000Z');
    expect(existsSync(p('projects/vanguard'))).toBe(false);
    expect(readFileSync(p('projects/.deleted/vanguard-20260122T101500000Z/src/app.ts'), 'utf8')).toBe('code');
    await expect(ws.fsRead('vanguard', 'src/app.ts', { as: { kind: 'human' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await ws.archiveProjectFiles('vanguard')).toBeNull();
    // A late board write does not bring the deleted folder back.
    await expect(ws.writeKanban({ id: 'vanguard', name: 'Vanguard' }, [])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(existsSync(p('projects/vanguard'))).toBe(false);
  });

  it('lists and reads only project documents', async () => {
    await ws.initProject('vanguard', { name: 'Vanguard' });
    await ws.initAgent('vanguard', 'shuri');
    await ws.appendDaily('vanguard', clock.now(), { author: 'shuri:vanguard', text: 'pulse ok' });
    writeFileSync(p('projects/vanguard/src/app.ts'), 'code');
    await ws.archiveAgent('vanguard', 'shuri');
    await ws.initAgent('vanguard', 'jarvis');
    const docs = await ws.listDocs('vanguard');
    expect(docs.map((d) => d.name)).toEqual([
      'KANBAN.md',
      'CHRONICLE.md',
      '.context',
      'daily/2026-01-22.md',
      'agents/jarvis/SOUL.md',
      'agents/jarvis/working.md',
      'agents/jarvis/learned.md',
    ]);
    expect((await ws.readDoc('vanguard', 'daily/2026-01-22.md')).content).toContain('pulse ok');
    for (const bad of ['src/app.ts', '../vanguard/KANBAN.md', 'agents/.archived/shuri-x/learned.md', '/etc/passwd', 'agents/jarvis/archive/x.md']) {
      await expect(ws.readDoc('vanguard', bad)).rejects.toMatchObject({ code: 'PATH_OUTSIDE_SCOPE' });
    }
    await expect(ws.readDoc('vanguard', 'daily/2020-01-01.md')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
