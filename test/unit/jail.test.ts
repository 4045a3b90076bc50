import { mkdtempSync, readdirSync, readFileSync, rmSync, lstatSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import { Workspace, type FileActor } from '../../src/workspace/index.js';

/**
 * SPEC §7: every file operation of an agent is jailed to its project scope. Escape attempts are
 * refused with PATH_OUTSIDE_SCOPE and change nothing anywhere; legal operations work.
 */
const SHURI: FileActor = { kind: 'agent', soulId: 'shuri' };
const HUMAN: FileActor = { kind: 'human' };

let dataDir: string;
let ws: Workspace;

/** Every file and directory under `root` with its content, so "nothing changed" is checkable. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const info = lstatSync(full);
      const rel = path.relative(root, full);
      if (info.isDirectory()) {
        out[rel + '/'] = 'dir';
        walk(full);
      } else out[rel] = info.isSymbolicLink() ? 'link' : readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return out;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'mc-jail-'));
  ws = new Workspace({ dataDir, lockTimeoutMs: 2000, lockRetries: 0, maxFileBytes: 4096 });
  await ws.initProject('alpha', { name: 'Alpha' });
  await ws.initProject('beta', { name: 'Beta' });
  await ws.initAgent('alpha', 'shuri');
  await ws.initAgent('alpha', 'jarvis');
  writeFileSync(path.join(dataDir, 'secret.txt'), 'top secret');
  writeFileSync(path.join(dataDir, 'projects', 'beta', 'secret.txt'), 'beta secret');
  writeFileSync(path.join(dataDir, 'projects', 'alpha', 'agents', 'jarvis', 'working.md'), 'jarvis private notes');
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// Traversal and encoding variants, written from SPEC §7's list, not from the jail's code.
const ESCAPES: [string, string][] = [
  ['plain parent', '../beta/secret.txt'],
  ['two parents', '../../secret.txt'],
  ['parent after a folder', 'src/../../beta/secret.txt'],
  ['bare parent', '..'],
  ['dot then parent', './../secret.txt'],
  ['parent that stays inside', 'src/../KANBAN.md'],
  ['percent-encoded dots', '%2e%2e/beta/secret.txt'],
  ['percent-encoded dots and slashes', '%2E%2E%2Fbeta%2Fsecret.txt'],
  ['encoded slash after dots', '..%2fbeta%2fsecret.txt'],
  ['double-encoded dots', '%252e%252e/beta/secret.txt'],
  ['triple-encoded', '%25252e%25252e%25252fsecret.txt'],
  ['encoded NUL', 'src/notes%00.md'],
  ['overlong UTF-8 dots', '%c0%ae%c0%ae/beta/secret.txt'],
  ['vertical two-dot leader U+FE30', '\ufe30/beta/secret.txt'],
  ['zero-width space between dots', '.\u200b./secret.txt'],
  ['backslash traversal', '..\\beta\\secret.txt'],
  ['backslash after folder', 'src\\..\\..\\secret.txt'],
  ['encoded backslash', '%5c..%5csecret.txt'],
  ['U+2024 ONE DOT LEADER twice', '\u2024\u2024/beta/secret.txt'],
  ['U+FF0E FULLWIDTH FULL STOP twice', '\uff0e\uff0e/beta/secret.txt'],
  ['U+2025 TWO DOT LEADER', '\u2025/beta/secret.txt'],
  ['U+FE52 SMALL FULL STOP twice', '\ufe52\ufe52/secret.txt'],
  ['dot and look-alike', '.\u2024/secret.txt'],
  ['three dots (some layers trim trailing dots)', '.../secret.txt'],
  ['look-alikes deep', 'src/\u2024\u2024/\u2024\u2024/secret.txt'],
  ['percent-encoded fullwidth dots', '%EF%BC%8E%EF%BC%8E/secret.txt'],
  ['fullwidth solidus', '..\uff0fsecret.txt'],
  ['division slash', '\u2215etc\u2215passwd'],
  ['absolute', '/etc/passwd'],
  ['absolute, doubled slash', '//etc/passwd'],
  ['absolute into the data dir', '__DATADIR__/secret.txt'],
  ['drive letter', 'C:/Windows/win.ini'],
  ['home', '~/secret.txt'],
  ['NUL byte', 'notes.txt\u0000.md'],
  ['newline', 'src/a\nb.md'],
  ['bidi override', 'src/\u202egnp.md'],
  ['over-long segment', `src/${'x'.repeat(300)}`],
  ['over-long path', 'a/'.repeat(700) + 'x'],
  ['lock file name', 'KANBAN.md.lock'],
  ['temporary file name', '.tmp-deadbeef'],
];

function expectRefused(err: unknown, code = 'PATH_OUTSIDE_SCOPE'): void {
  expect(err).toBeInstanceOf(MissionError);
  expect((err as MissionError).code).toBe(code);
}

async function attempt(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    const value = await fn();
    return { unexpectedly: value };
  } catch (err) {
    return err;
  }
}

describe('file jail: escape attempts', () => {
  it.each(ESCAPES)('refuses %s for read, write, list and delete, touching nothing', async (_label, raw) => {
    const input = raw.replace('__DATADIR__', dataDir);
    const before = tree(dataDir);
    for (const actor of [SHURI, HUMAN]) {
      expectRefused(await attempt(() => ws.fsRead('alpha', input, { as: actor })));
      expectRefused(await attempt(() => ws.fsWrite('alpha', input, { as: actor, content: 'pwned' })));
      expectRefused(await attempt(() => ws.fsList('alpha', input, { as: actor })));
      expectRefused(await attempt(() => ws.fsDelete('alpha', input, { as: actor })));
    }
    expect(tree(dataDir)).toEqual(before);
  });

  it('refuses another agent\u2019s zone and the server-owned files to an agent, touching nothing', async () => {
    const before = tree(dataDir);
    const zone = ['agents/jarvis/working.md', 'agents/jarvis/new.md', 'agents/.archived/jarvis-1/working.md', 'agents/jarvis'];
    for (const p of zone) {
      expectRefused(await attempt(() => ws.fsRead('alpha', p, { as: SHURI })));
      expectRefused(await attempt(() => ws.fsWrite('alpha', p, { as: SHURI, content: 'x' })));
      expectRefused(await attempt(() => ws.fsDelete('alpha', p, { as: SHURI })));
    }
    expectRefused(await attempt(() => ws.fsList('alpha', 'agents/jarvis', { as: SHURI })));
    const serverOwned = ['KANBAN.md', 'CHRONICLE.md', '.context', './KANBAN.md', 'kanban.md', '\uff2b\uff21\uff2e\uff22\uff21\uff2e.md', 'daily/2026-01-01.md'];
    for (const p of serverOwned) {
      expectRefused(await attempt(() => ws.fsWrite('alpha', p, { as: SHURI, content: 'x' })));
      expectRefused(await attempt(() => ws.fsDelete('alpha', p, { as: SHURI })));
    }
    expect(tree(dataDir)).toEqual(before);
  });

  it('hides other agents\u2019 zones when an agent lists agents/', async () => {
    const listing = await ws.fsList('alpha', 'agents', { as: SHURI });
    expect(listing.entries.map((e) => e.name)).toEqual(['shuri']);
    const human = await ws.fsList('alpha', 'agents', { as: HUMAN });
    expect(human.entries.map((e) => e.name)).toEqual(['jarvis', 'shuri']);
  });
});

describe('file jail: fuzz', () => {
  // Pieces attackers combine; the property holds for any concatenation of them.
  const PIECES = ['..', '.', '/', '\\', '%2e', '%2E', '%2f', '%25', '%5c', '%00', '%c0%ae', '\u2024', '\u2025', '\uff0e', '\ufe52', '\u2215', '~', 'a', 'src', 'KANBAN.md', 'agents', 'jarvis', 'shuri', '\u0000', ' ', '\u200b'];

  it('never lets an agent write outside its scope or into a forbidden place, for 1,500 random paths', async () => {
    const outside = tree(dataDir);
    const forbiddenForShuri = (rel: string): boolean => /^(KANBAN\.md|CHRONICLE\.md|\.context)$/i.test(rel) || rel.startsWith('daily/') || /^agents\/(?!shuri(\/|$))/.test(rel) || rel === 'agents';
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }), async (pieces) => {
        const input = pieces.join('');
        let written: string;
        try {
          written = (await ws.fsWrite('alpha', input, { as: SHURI, content: 'fuzz' })).path;
        } catch (err) {
          expect(err).toBeInstanceOf(MissionError);
          expect(['PATH_OUTSIDE_SCOPE', 'INVALID_INPUT', 'NOT_FOUND', 'CONFLICT']).toContain((err as MissionError).code);
          return;
        }
        // Accepted: it landed inside alpha, at a path the agent may write, and nowhere else.
        expect(written.split('/')).not.toContain('..');
        expect(forbiddenForShuri(written)).toBe(false);
        expect(readFileSync(path.join(dataDir, 'projects/alpha', written), 'utf8')).toBe('fuzz');
        rmSync(path.join(dataDir, 'projects/alpha', written), { force: true });
      }),
      { numRuns: 1500, seed: 20260122 },
    );
    // Outside alpha nothing changed at all (alpha itself may have gained empty folders).
    const strip = (t: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(t).filter(([k]) => !k.startsWith('projects/alpha/')));
    expect(strip(tree(dataDir))).toEqual(strip(outside));
  });
});

describe('file jail: legal operations', () => {
  it('writes, reads, lists and deletes inside the scope', async () => {
    const written = await ws.fsWrite('alpha', 'src/app/main.ts', { as: SHURI, content: 'export const x = 1;\n' });
    expect(written).toMatchObject({ path: 'src/app/main.ts', created: true, size: 20 });
    expect(readFileSync(path.join(dataDir, 'projects/alpha/src/app/main.ts'), 'utf8')).toBe('export const x = 1;\n');
    const read = await ws.fsRead('alpha', './src//app/main.ts', { as: SHURI });
    expect(read).toMatchObject({ path: 'src/app/main.ts', content: 'export const x = 1;\n', version: written.version });
    expect(read.version).toMatch(/^[0-9a-f]{16}$/);
    const listing = await ws.fsList('alpha', 'src/app', { as: SHURI });
    expect(listing.entries).toEqual([expect.objectContaining({ name: 'main.ts', path: 'src/app/main.ts', kind: 'file', size: 20 })]);
    await ws.fsDelete('alpha', 'src/app/main.ts', { as: SHURI });
    expect(existsSync(path.join(dataDir, 'projects/alpha/src/app/main.ts'))).toBe(false);
    await ws.fsDelete('alpha', 'src/app', { as: SHURI });
    expect(existsSync(path.join(dataDir, 'projects/alpha/src/app'))).toBe(false);
  });

  it('lets an agent read the shared documents and use its own zone', async () => {
    expect((await ws.fsRead('alpha', 'KANBAN.md', { as: SHURI })).content).toContain('# Kanban: Alpha (alpha)');
    expect((await ws.fsRead('alpha', '.context', { as: SHURI })).content).toContain('Alpha');
    await ws.fsWrite('alpha', 'agents/shuri/working.md', { as: SHURI, content: 'thinking' });
    expect((await ws.fsRead('alpha', 'agents/shuri/working.md', { as: SHURI })).content).toBe('thinking');
  });

  it('accepts names that only look unusual: percent signs, accents, dots inside names', async () => {
    for (const name of ['src/100%.txt', 'src/caf\u00e9.md', 'src/v1..2.txt', 'src/.hidden', 'src/a.b.c']) {
      const w = await ws.fsWrite('alpha', name, { as: SHURI, content: name });
      expect((await ws.fsRead('alpha', name, { as: SHURI })).content).toBe(name);
      expect(w.path).toBe(name);
    }
  });

  it('lets a human write server-owned files and read any zone', async () => {
    expect((await ws.fsRead('alpha', 'agents/jarvis/working.md', { as: HUMAN })).content).toBe('jarvis private notes');
    await ws.fsWrite('alpha', '.context', { as: HUMAN, content: '# Alpha rules\n' });
    expect(readFileSync(path.join(dataDir, 'projects/alpha/.context'), 'utf8')).toBe('# Alpha rules\n');
  });

  it('refuses a stale expected_version with CONFLICT and leaves the file as it was', async () => {
    const first = await ws.fsWrite('alpha', 'src/conf.json', { as: SHURI, content: '{"v":1}' });
    await ws.fsWrite('alpha', 'src/conf.json', { as: SHURI, content: '{"v":2}', expected_version: first.version });
    expectRefused(await attempt(() => ws.fsWrite('alpha', 'src/conf.json', { as: SHURI, content: '{"v":3}', expected_version: first.version })), 'CONFLICT');
    expect((await ws.fsRead('alpha', 'src/conf.json', { as: SHURI })).content).toBe('{"v":2}');
    expectRefused(await attempt(() => ws.fsWrite('alpha', 'src/conf.json', { as: SHURI, content: 'new', expected_version: null })), 'CONFLICT');
    expect((await ws.fsWrite('alpha', 'src/fresh.json', { as: SHURI, content: 'new', expected_version: null })).created).toBe(true);
    // A refused write into new folders leaves no folders behind.
    expectRefused(await attempt(() => ws.fsWrite('alpha', 'src/new/deeper/x.json', { as: SHURI, content: 'x', expected_version: 'abc' })), 'CONFLICT');
    expect(existsSync(path.join(dataDir, 'projects/alpha/src/new'))).toBe(false);
  });

  it('bounds sizes with LIMIT_EXCEEDED and writes nothing', async () => {
    expectRefused(await attempt(() => ws.fsWrite('alpha', 'src/big.bin', { as: SHURI, content: 'x'.repeat(4097) })), 'LIMIT_EXCEEDED');
    expect(existsSync(path.join(dataDir, 'projects/alpha/src/big.bin'))).toBe(false);
    mkdirSync(path.join(dataDir, 'projects/alpha/src/human'), { recursive: true });
    writeFileSync(path.join(dataDir, 'projects/alpha/src/human/huge.txt'), 'y'.repeat(5000));
    expectRefused(await attempt(() => ws.fsRead('alpha', 'src/human/huge.txt', { as: SHURI })), 'LIMIT_EXCEEDED');
  });

  it('answers NOT_FOUND for a missing file or project', async () => {
    expectRefused(await attempt(() => ws.fsRead('alpha', 'src/missing.txt', { as: SHURI })), 'NOT_FOUND');
    expectRefused(await attempt(() => ws.fsRead('gamma', 'x.txt', { as: SHURI })), 'NOT_FOUND');
    expectRefused(await attempt(() => ws.fsRead('../beta', 'secret.txt', { as: SHURI })), 'INVALID_INPUT');
  });
});
