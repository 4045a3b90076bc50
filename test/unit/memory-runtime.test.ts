import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace, createProjectFiles } from '../../src/workspace/index.js';
import { agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * The workspace wired into the real runtime as its file effects (`files`): mission methods
 * land in the SPEC §6 files — project tree, soul and agent memory, distill, chronicle.
 */
let fx: RuntimeFixture | null = null;
afterEach(async () => {
  await fx?.dispose();
  fx = null;
});

/** File effects run after commit; wait until `check` holds (or fail with what was seen). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('workspace as the runtime\u2019s file effects', () => {
  it('creates the project tree and agent memory, distills and chronicles through mission methods', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mc-ws-rt-'));
    const ws = new Workspace({ dataDir: dir, lockTimeoutMs: 5000 });
    fx = await openRuntime({ files: createProjectFiles(ws), scheduling: false }, dir);
    const root = path.join(fx.dir, 'projects', 'vanguard');

    await fx.exec('soul.create', { soul_id: 'shuri', name: 'Shuri', soul_md: '# Shuri\n\nBuilds the web app.\n' });
    await fx.exec('project.init', { project_name: 'Vanguard', project_id: 'vanguard', base_id: ['shuri'] });
    await eventually(() => existsSync(path.join(root, 'agents/shuri/learned.md')), 'agent memory files');
    expect(readdirSync(root).sort()).toEqual(['.context', 'CHRONICLE.md', 'KANBAN.md', 'agents', 'daily', 'src']);
    expect(readFileSync(path.join(fx.dir, 'souls/shuri/SOUL.md'), 'utf8')).toBe('# Shuri\n\nBuilds the web app.\n');
    expect(readFileSync(path.join(root, 'KANBAN.md'), 'utf8').split('\n')[0]).toBe('# Kanban: Vanguard (vanguard)');

    const shuri = agentBy('shuri', 'vanguard');
    await fx.exec('control.distill_memory', { summary: 'Use the design tokens.' }, shuri);
    await eventually(() => readFileSync(path.join(root, 'agents/shuri/learned.md'), 'utf8').includes('Use the design tokens.'), 'learned.md entry');

    await fx.exec('control.update_chronicle', { summary: 'Shipped the board.', technical_debt: 'no e2e yet' }, shuri);
    await eventually(() => readFileSync(path.join(root, 'CHRONICLE.md'), 'utf8').includes('Shipped the board.'), 'chronicle entry');
    const chronicle = readFileSync(path.join(root, 'CHRONICLE.md'), 'utf8');
    expect(chronicle).toMatch(/^## \S+ · shuri:vanguard\n\nShipped the board\.\n\n\*\*Technical debt:\*\* no e2e yet$/m);

    // The same instance's memory now feeds its pulse prompt.
    const memory = await ws.readMemory('vanguard', 'shuri');
    expect(memory.soul_md).toContain('Builds the web app.');
    expect(memory.learned).toContain('Use the design tokens.');
  });
});
