import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissionError } from '../../src/core/index.js';
import { Workspace, type FileActor } from '../../src/workspace/index.js';

/**
 * SPEC §7: symlink escapes are checked with realpath. Links planted in a project (by a human,
 * a git checkout or an agent's own program) must not lead an agent out of its scope, into a
 * sibling project, into /etc, or into another agent's zone. Links that stay inside still work.
 */
const SHURI: FileActor = { kind: 'agent', soulId: 'shuri' };

let dataDir: string;
let alpha: string;
let ws: Workspace;

function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const info = lstatSync(full);
      if (info.isDirectory()) walk(full);
      else out[path.relative(root, full)] = info.isSymbolicLink() ? 'link' : readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return out;
}

async function refusal(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'allowed';
  } catch (err) {
    return err instanceof MissionError ? err.code : String(err);
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'mc-jail-link-'));
  ws = new Workspace({ dataDir, lockTimeoutMs: 2000, lockRetries: 0 });
  alpha = await ws.initProject('alpha', { name: 'Alpha' });
  await ws.initProject('beta', { name: 'Beta' });
  await ws.initAgent('alpha', 'shuri');
  await ws.initAgent('alpha', 'jarvis');
  writeFileSync(path.join(dataDir, 'projects/beta/secret.txt'), 'beta secret');
  writeFileSync(path.join(alpha, 'agents/jarvis/working.md'), 'jarvis private');
  writeFileSync(path.join(alpha, 'src/real.txt'), 'inside');
  symlinkSync('/etc', path.join(alpha, 'src/etc-link'));
  symlinkSync('/etc/passwd', path.join(alpha, 'src/passwd-link'));
  symlinkSync(path.join(dataDir, 'projects/beta'), path.join(alpha, 'src/beta-link'));
  symlinkSync('../../beta/secret.txt', path.join(alpha, 'src/beta-file-link'));
  symlinkSync('/nonexistent-mc-dir/target', path.join(alpha, 'src/dangling-link'));
  symlinkSync('../jarvis', path.join(alpha, 'agents/shuri/jarvis-link'));
  symlinkSync('../KANBAN.md', path.join(alpha, 'src/kanban-link'));
  symlinkSync('real.txt', path.join(alpha, 'src/inside-link'));
  symlinkSync('loop-b', path.join(alpha, 'src/loop-a'));
  symlinkSync('loop-a', path.join(alpha, 'src/loop-b'));
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('file jail: symlinks', () => {
  const ESCAPES: [string, string][] = [
    ['a link to /etc', 'src/etc-link/passwd'],
    ['a link to /etc itself', 'src/etc-link'],
    ['a link to a file in /etc', 'src/passwd-link'],
    ['a link to a sibling project', 'src/beta-link/secret.txt'],
    ['a new file through a link to a sibling project', 'src/beta-link/pwned.txt'],
    ['a relative link to a sibling project file', 'src/beta-file-link'],
    ['a dangling link pointing outside', 'src/dangling-link'],
    ['a looping link', 'src/loop-a'],
  ];

  it.each(ESCAPES)('refuses %s, reading and writing nothing', async (_label, p) => {
    const before = snapshot(dataDir);
    const passwd = readFileSync('/etc/passwd', 'utf8');
    expect(await refusal(() => ws.fsRead('alpha', p, { as: SHURI }))).toBe('PATH_OUTSIDE_SCOPE');
    expect(await refusal(() => ws.fsWrite('alpha', p, { as: SHURI, content: 'pwned' }))).toBe('PATH_OUTSIDE_SCOPE');
    expect(await refusal(() => ws.fsWrite('alpha', `${p}/child.txt`, { as: SHURI, content: 'pwned' }))).toBe('PATH_OUTSIDE_SCOPE');
    expect(await refusal(() => ws.fsList('alpha', p, { as: SHURI }))).toBe('PATH_OUTSIDE_SCOPE');
    expect(await refusal(() => ws.fsDelete('alpha', p, { as: SHURI }))).toBe('PATH_OUTSIDE_SCOPE');
    expect(snapshot(dataDir)).toEqual(before);
    expect(readFileSync('/etc/passwd', 'utf8')).toBe(passwd);
    expect(existsSync('/etc/pwned.txt')).toBe(false);
  });

  it("refuses a link in the agent's own zone that leads into another agent's zone", async () => {
    const before = snapshot(dataDir);
    expect(await refusal(() => ws.fsRead('alpha', 'agents/shuri/jarvis-link/working.md', { as: SHURI }))).toBe('PATH_OUTSIDE_SCOPE');
    expect(await refusal(() => ws.fsWrite('alpha', 'agents/shuri/jarvis-link/working.md', { as: SHURI, content: 'x' }))).toBe('PATH_OUTSIDE_SCOPE');
    expect(await refusal(() => ws.fsList('alpha', 'agents/shuri/jarvis-link', { as: SHURI }))).toBe('PATH_OUTSIDE_SCOPE');
    expect(snapshot(dataDir)).toEqual(before);
  });

  it('refuses a write through a link that leads to KANBAN.md', async () => {
    const kanban = readFileSync(path.join(alpha, 'KANBAN.md'), 'utf8');
    expect(await refusal(() => ws.fsWrite('alpha', 'src/kanban-link', { as: SHURI, content: 'forged board' }))).toBe('PATH_OUTSIDE_SCOPE');
    expect(readFileSync(path.join(alpha, 'KANBAN.md'), 'utf8')).toBe(kanban);
    expect(lstatSync(path.join(alpha, 'src/kanban-link')).isSymbolicLink()).toBe(true);
  });

  it('follows a link that stays inside the scope', async () => {
    expect((await ws.fsRead('alpha', 'src/inside-link', { as: SHURI })).content).toBe('inside');
    expect((await ws.fsRead('alpha', 'src/kanban-link', { as: SHURI })).content).toContain('# Kanban: Alpha');
    const listing = await ws.fsList('alpha', 'src', { as: SHURI });
    expect(listing.entries.find((e) => e.name === 'inside-link')?.kind).toBe('other');
  });
});
