import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDriver } from '../../src/actors/index.js';
import { DemoDirector } from '../../src/app/demo-director.js';
import { ManualClock, type TaskView } from '../../src/core/index.js';
import type { SqliteDatabase } from '../../src/store/index.js';
import { Workspace, createProjectFiles, loadLeadBrief } from '../../src/workspace/index.js';
import { RecordingDriver } from '../support/recording-driver.js';
import { agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * The demo's operator over a real runtime and SQLite file (ManualClock): it keeps the demo from
 * stalling with the moves SPEC §3 keeps for humans, one move per look. Expected moves are
 * written here from the rules in its doc comment: answer help after 25 s, archive the oldest
 * done card beyond the 4 kept after 45 s, reopen the newest done card every 15th idle look.
 */
const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

const S = 1000;
const ana = agentBy('ana', 'demo');

async function demoBoard(clock: ManualClock): Promise<RuntimeFixture> {
  const f = await openRuntime({ clock, scheduling: false });
  open.push(f);
  await f.exec('soul.create', { soul_id: 'ana', name: 'Ana', role: 'engineer' });
  await f.exec('project.init', { project_name: 'Demo', project_id: 'demo', base_id: ['ana'] });
  return f;
}

async function doneTask(f: RuntimeFixture, title: string): Promise<string> {
  const { id } = (await f.exec('task.create', { project_id: 'demo', title, assignee_id: 'ana' })) as TaskView;
  await f.exec('task.move', { task_id: id, new_status: 'in_progress' });
  await f.exec('task.move', { task_id: id, new_status: 'done' });
  return id;
}

function status(f: RuntimeFixture, id: string): string | undefined {
  return f.rt.repos.tasks.get(id)?.status;
}

describe('the demo operator', () => {
  it('answers a help request once it has waited 25 s, and the agent is unblocked', async () => {
    const clock = new ManualClock();
    const f = await demoBoard(clock);
    const { id } = (await f.exec('task.create', { project_id: 'demo', title: 'Stuck', assignee_id: 'ana' })) as TaskView;
    await f.exec('task.move', { task_id: id, new_status: 'in_progress' }, ana);
    await f.exec('control.request_help', { task_id: id, issue: 'Which API key?' }, ana);
    const director = new DemoDirector({ runtime: f.rt, repos: f.rt.repos, projectId: 'demo', clock });
    clock.advance(24 * S);
    expect(await director.look()).toBeNull();
    clock.advance(1 * S);
    expect(await director.look()).toEqual({ kind: 'answer', task_id: id });
    expect(status(f, id)).toBe('in_progress');
    expect(f.rt.repos.agents.get('ana:demo')?.state).not.toBe('blocked');
  });

  it('archives the oldest done cards beyond four, 45 s after they were done, one per look', async () => {
    const clock = new ManualClock();
    const f = await demoBoard(clock);
    const ids: string[] = [];
    for (let i = 1; i <= 6; i++) {
      ids.push(await doneTask(f, `Done ${i}`));
      clock.advance(S);
    }
    const director = new DemoDirector({ runtime: f.rt, repos: f.rt.repos, projectId: 'demo', clock });
    clock.advance(38 * S); // the oldest was done 43 s ago
    expect(await director.look()).toBeNull();
    clock.advance(2 * S);
    expect(await director.look()).toEqual({ kind: 'archive', task_id: ids[0] });
    expect(await director.look()).toEqual({ kind: 'archive', task_id: ids[1] });
    // Four done cards remain on show.
    expect(await director.look()).toBeNull();
    expect(ids.map((id) => status(f, id))).toEqual(['archived', 'archived', 'done', 'done', 'done', 'done']);
  });

  it('reopens the newest done task on every 15th look when nothing else is due', async () => {
    const clock = new ManualClock();
    const f = await demoBoard(clock);
    await doneTask(f, 'Older');
    clock.advance(S);
    const newest = await doneTask(f, 'Newest');
    const director = new DemoDirector({ runtime: f.rt, repos: f.rt.repos, projectId: 'demo', clock });
    const moves: Awaited<ReturnType<DemoDirector['look']>>[] = [];
    for (let i = 1; i <= 15; i++) moves.push(await director.look());
    expect(moves.slice(0, 14)).toEqual(Array(14).fill(null));
    expect(moves[14]).toEqual({ kind: 'reopen', task_id: newest });
    expect(status(f, newest)).toBe('backlog');
  });

  it('looks every 6 s on its clock and stops for good', async () => {
    const clock = new ManualClock();
    const f = await demoBoard(clock);
    const ids: string[] = [];
    for (let i = 1; i <= 7; i++) ids.push(await doneTask(f, `Done ${i}`));
    clock.advance(60 * S);
    const director = new DemoDirector({ runtime: f.rt, repos: f.rt.repos, projectId: 'demo', clock });
    director.start();
    const archived = (): number => ids.filter((id) => status(f, id) === 'archived').length;
    clock.advance(5 * S);
    await settle();
    expect(archived()).toBe(0);
    clock.advance(1 * S);
    await until(() => archived() === 1);
    clock.advance(6 * S);
    await until(() => archived() === 2);
    await director.stop();
    clock.advance(60 * S);
    await settle();
    expect(archived()).toBe(2);
  });
});

describe("the lead's pulse through the runtime", () => {
  it('carries the unassigned backlog and team workload only to the lead', async () => {
    const clock = new ManualClock();
    const driver = new RecordingDriver();
    // The server's wiring: createProjectFiles(workspace, { leadBrief }) over the runtime's database.
    const dir = mkdtempSync(join(tmpdir(), 'mc-lead-prompt-'));
    const opened: { db?: SqliteDatabase } = {};
    const files = createProjectFiles(new Workspace({ dataDir: dir, clock }), { leadBrief: (p, soul) => loadLeadBrief(opened.db!, p, soul) });
    const f = await openRuntime({ clock, scheduling: true, files, drivers: new Map<string, AgentDriver>([['simulated', driver]]) }, dir);
    opened.db = f.store.db;
    open.push(f);
    await f.exec('soul.create', { soul_id: 'nick', name: 'Nick', role: 'lead', skills: ['planning'] });
    await f.exec('soul.create', { soul_id: 'ana', name: 'Ana', role: 'engineer', skills: ['backend'] });
    await f.exec('project.init', { project_name: 'Demo', project_id: 'demo', base_id: ['nick', 'ana'] });
    await f.exec('task.create', { project_id: 'demo', title: 'Build the backend', priority: 1 });
    await f.exec('agent.pulse_now', { instance_id: 'nick:demo' });
    await f.exec('agent.pulse_now', { instance_id: 'ana:demo' });
    await until(() => driver.deliveries.length === 2);
    const prompt = (id: string): string => driver.deliveries.find((d) => d.instanceId === id)!.prompt;
    expect(prompt('nick:demo')).toContain('[LEAD: Unassigned backlog]\n- demo-1 (P1) Build the backend');
    expect(prompt('nick:demo')).toContain('[LEAD: Team workload]\n- ana (Ana, engineer) · skills: backend · no open tasks');
    expect(prompt('ana:demo')).not.toContain('[LEAD:');
  });
});

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}
