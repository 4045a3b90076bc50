import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Actor } from 'xstate';
import { MemoryBroker, type BusMessage } from '../../src/actors/index.js';
import type { InboxMessage } from '../../src/actors/bus/payloads.js';
import type { TaskView } from '../../src/core/index.js';
import type { ProjectEmitted, ProjectMachine } from '../../src/machines/index.js';
import { Workspace, createProjectFiles } from '../../src/workspace/index.js';
import { openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * The project actor's hooks in a real runtime: after a commit the actor is told its board
 * changed (and which tasks became unassigned backlog work); its emits are what re-render
 * KANBAN.md and nudge the lead, and telling it persists nothing.
 */
const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

function projectActor(f: RuntimeFixture, id = 'vanguard'): Actor<ProjectMachine> {
  return f.rt.host.find(id)!.actor as Actor<ProjectMachine>;
}

function emitsOf(actor: Actor<ProjectMachine>): ProjectEmitted[] {
  const seen: ProjectEmitted[] = [];
  actor.on('*', (e) => seen.push(e as ProjectEmitted));
  return seen;
}

async function countingRuntime(): Promise<{ f: RuntimeFixture; renders: TaskView[][] }> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-hooks-'));
  const files = createProjectFiles(new Workspace({ dataDir: dir }));
  const renders: TaskView[][] = [];
  const counted = {
    ...files,
    writeKanban: async (projectId: string, board: () => TaskView[]) => {
      const tasks = board();
      renders.push(tasks);
      await files.writeKanban(projectId, () => tasks);
    },
  };
  const f = await openRuntime({ scheduling: false, files: counted }, dir);
  open.push(f);
  await f.exec('project.init', { project_name: 'Vanguard' });
  await f.exec('task.create', { project_id: 'vanguard', title: 'Wire the reactor' });
  await f.rt.settled();
  return { f, renders };
}

describe('project actor hooks', () => {
  it("re-renders KANBAN.md after a board change only through the project actor's render_kanban emit", async () => {
    const { f, renders } = await countingRuntime();
    const actor = projectActor(f);
    const emitted = emitsOf(actor);
    const rendersBefore = renders.length;

    // A project actor that is not told (its board_changed dropped) emits nothing: no render.
    const send = actor.send.bind(actor);
    actor.send = (event) => {
      if (event.type !== 'board_changed') send(event);
    };
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' });
    await f.rt.settled();
    expect(emitted).toEqual([]);
    expect(renders.length).toBe(rendersBefore);

    actor.send = send;
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'done' });
    await f.rt.settled();
    expect(emitted).toEqual([{ type: 'render_kanban', project_id: 'vanguard' }]);
    expect(renders.length).toBe(rendersBefore + 1);
    expect(renders.at(-1)!.map((t) => [t.id, t.status])).toEqual([['vanguard-1', 'done']]);
    expect(readFileSync(join(f.dir, 'projects', 'vanguard', 'KANBAN.md'), 'utf8')).toContain('Wire the reactor');
  });

  it('tells the project actor without an event row, a commit or a snapshot write of its own', async () => {
    const { f } = await countingRuntime();
    const events = (): number => (f.store.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const row = f.rt.repos.snapshots.get('vanguard');
    const [eventsBefore, commitsBefore] = [events(), f.rt.committer.transactions];
    const emitted = emitsOf(projectActor(f));

    for (const status of ['in_progress', 'done', 'backlog']) {
      await f.exec('task.move', { task_id: 'vanguard-1', new_status: status });
      await f.rt.settled();
    }

    expect(emitted.map((e) => e.type)).toEqual(['render_kanban', 'render_kanban', 'render_kanban', 'assignment_needed']);
    // Three moves: three commits and three event rows; telling the project actor added none.
    expect(f.rt.committer.transactions - commitsBefore).toBe(3);
    expect(events() - eventsBefore).toBe(3);
    expect(f.rt.repos.snapshots.get('vanguard')).toEqual(row);
  });

  it('raises assignment_needed when unassigned backlog work appears, and the lead hears it on its inbox', async () => {
    const broker = new MemoryBroker();
    const f = await openRuntime({ scheduling: false, bus: broker.connect() });
    open.push(f);
    await f.exec('soul.create', { soul_id: 'jarvis', name: 'Jarvis', role: 'lead' });
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    await f.exec('project.init', { project_name: 'Vanguard', base_id: ['jarvis', 'shuri'] });
    const observer = broker.connect();
    const heard = { jarvis: [] as InboxMessage[], shuri: [] as InboxMessage[] };
    observer.subscribe('mc.vanguard.inbox.jarvis', (m: BusMessage) => heard.jarvis.push(m.json<InboxMessage>()));
    observer.subscribe('mc.vanguard.inbox.shuri', (m: BusMessage) => heard.shuri.push(m.json<InboxMessage>()));
    const emitted = emitsOf(projectActor(f));
    const nudges = async (): Promise<string[][]> => {
      await f.rt.settled();
      await new Promise((r) => setImmediate(r));
      return heard.jarvis.filter((m) => m.kind === 'assignment_needed').map((m) => m.task_ids!);
    };

    await f.exec('task.create', { project_id: 'vanguard', title: 'Unowned' });
    expect(await nudges()).toEqual([['vanguard-1']]);
    await f.exec('task.create', { project_id: 'vanguard', title: 'Owned', assignee_id: 'shuri' });
    await f.exec('task.assign', { task_id: 'vanguard-1', assignee_id: 'shuri' });
    await f.exec('task.update', { task_id: 'vanguard-2', title: 'Still owned' });
    expect(await nudges()).toEqual([['vanguard-1']]);
    await f.exec('task.assign', { task_id: 'vanguard-2', assignee_id: null });
    expect(await nudges()).toEqual([['vanguard-1'], ['vanguard-2']]);

    expect(emitted.filter((e) => e.type === 'assignment_needed')).toEqual([
      { type: 'assignment_needed', project_id: 'vanguard', task_ids: ['vanguard-1'] },
      { type: 'assignment_needed', project_id: 'vanguard', task_ids: ['vanguard-2'] },
    ]);
    expect(heard.jarvis[0]).toMatchObject({ instance_id: 'jarvis:vanguard', notification_id: null, body: expect.stringContaining('vanguard-1') });
    expect(heard.shuri.filter((m) => m.kind === 'assignment_needed')).toEqual([]);
    // A live nudge only: the lead's pulse brief lists the unassigned backlog, no row is stored.
    expect(f.rt.repos.messages.pending('jarvis:vanguard')).toEqual([]);
  });
});
