import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDriver } from '../../src/actors/index.js';
import { ManualClock } from '../../src/core/index.js';
import { Workspace, createProjectFiles } from '../../src/workspace/index.js';
import { RecordingDriver } from '../support/recording-driver.js';
import { agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check().catch(() => false)) return;
    await sleep(10);
  }
  throw new Error('condition not reached');
}

describe('runtime file effects through the workspace', () => {
  it('mirrors the board into KANBAN.md, writes memory, chronicle and the pulse prompt', async () => {
    const clock = new ManualClock();
    const driver = new RecordingDriver();
    const dir = mkdtempSync(join(tmpdir(), 'mc-files-'));
    const workspace = new Workspace({ dataDir: dir, clock });
    const f = await openRuntime({ clock, files: createProjectFiles(workspace), drivers: new Map<string, AgentDriver>([['simulated', driver]]), scheduling: true }, dir);
    open.push(f);
    const shuri = agentBy('shuri', 'vanguard');
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri', soul_md: '# Shuri\nBuilds things.' });
    await f.exec('project.init', { project_name: 'Vanguard', base_id: ['shuri'] });
    await f.exec('task.create', { project_id: 'vanguard', title: 'Wire the reactor', assignee_id: 'shuri' });
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' }, shuri);
    const kanban = join(dir, 'projects', 'vanguard', 'KANBAN.md');
    await eventually(async () => (await readFile(kanban, 'utf8')).includes('Wire the reactor'));
    await f.rt.kanban.idle();
    const md = await readFile(kanban, 'utf8');
    expect(md.indexOf('Wire the reactor')).toBeGreaterThan(md.toLowerCase().indexOf('in progress'));

    await f.exec('control.update_chronicle', { summary: 'Reactor wiring started' }, shuri);
    expect(await readFile(join(dir, 'projects', 'vanguard', 'CHRONICLE.md'), 'utf8')).toContain('Reactor wiring started');
    await f.exec('control.distill_memory', { summary: 'Reactors need coolant' }, shuri);
    expect(await readFile(join(dir, 'projects', 'vanguard', 'agents', 'shuri', 'learned.md'), 'utf8')).toContain('Reactors need coolant');

    await f.exec('agent.pulse_now', { instance_id: 'shuri:vanguard' });
    await eventually(() => Promise.resolve(driver.deliveries.length === 1));
    const prompt = driver.deliveries[0]!.prompt;
    expect(prompt).toContain('[SYSTEM STATUS UPDATE]');
    expect(prompt).toContain('vanguard-1');
    expect(prompt).toContain(driver.deliveries[0]!.pulseId);
  });
});
