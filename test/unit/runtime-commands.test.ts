import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../src/actors/bus/index.js';
import { MissionError, ManualClock, type AgentView, type CommittedEvent, type ProjectView, type SoulView, type TaskView } from '../../src/core/index.js';
import { ADMIN, agentBy, errorCode, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

async function fixture(opts: Parameters<typeof openRuntime>[0] = {}): Promise<RuntimeFixture> {
  const f = await openRuntime({ clock: new ManualClock(), scheduling: false, ...opts });
  open.push(f);
  return f;
}

const shuri = agentBy('shuri', 'vanguard');
const jarvis = agentBy('jarvis', 'vanguard', true);

async function squad(f: RuntimeFixture): Promise<void> {
  await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri', role: 'engineer' });
  await f.exec('soul.create', { soul_id: 'jarvis', name: 'Jarvis', role: 'lead' });
  await f.exec('project.init', { project_name: 'Vanguard', base_id: ['shuri', 'jarvis'] });
}

function types(f: RuntimeFixture): string[] {
  return (f.store.db.prepare(`SELECT type FROM events WHERE project_id = 'vanguard' ORDER BY seq`).all() as { type: string }[]).map((r) => r.type);
}

describe('runtime commands', () => {
  it('versions a soul by content: same SOUL.md keeps the version, a new one adds a version', async () => {
    const f = await fixture();
    const a = (await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri', soul_md: '# Shuri v1' })) as SoulView;
    expect(a.version).toBe(1);
    expect(((await f.exec('soul.update', { soul_id: 'shuri', soul_md: '# Shuri v1', role: 'engineer' })) as SoulView).version).toBe(1);
    const b = (await f.exec('soul.update', { soul_id: 'shuri', soul_md: '# Shuri v2' })) as SoulView;
    expect(b).toMatchObject({ version: 2, role: 'engineer', soul_md: '# Shuri v2' });
    expect(f.rt.repos.souls.version('shuri', 1)!.soul_md).toBe('# Shuri v1');
    expect(await errorCode(f.exec('soul.create', { soul_id: 'shuri', name: 'again' }))).toBe('CONFLICT');
    expect(await errorCode(f.exec('soul.update', { soul_id: 'nobody', name: 'x' }))).toBe('NOT_FOUND');
  });

  it('initialises a project with its instances and refuses reused ids, unknown souls and unsafe deadman settings', async () => {
    const f = await fixture();
    await squad(f);
    const project = f.rt.repos.projects.get('vanguard')!;
    expect(project.name).toBe('Vanguard');
    expect(types(f)).toEqual(['project.created', 'agent.created', 'agent.created']);
    const agent = f.rt.repos.agents.get('jarvis:vanguard')!;
    expect(agent).toMatchObject({ state: 'idle', soul_id: 'jarvis', driver: 'simulated' });
    expect(await errorCode(f.exec('project.init', { project_name: 'Vanguard' }))).toBe('CONFLICT');
    expect(await errorCode(f.exec('project.init', { project_name: 'Other', base_id: 'ghost' }))).toBe('NOT_FOUND');
    // SPEC §4: deadman_timeout < 2 × pulse_interval + pulse_timeout is refused, naming the keys.
    let err: MissionError | null = null;
    try {
      await f.exec('project.init', { project_name: 'Fast', settings: { pulse_interval: 60, pulse_timeout: 120, deadman_timeout: 239 } });
    } catch (e) {
      err = e as MissionError;
    }
    expect(err?.code).toBe('INVALID_INPUT');
    expect(err?.data.keys).toEqual(['deadman_timeout', 'pulse_interval', 'pulse_timeout']);
    expect(f.rt.repos.projects.get('fast')).toBeUndefined();
  });

  it('refuses a project id that a task id of another project could be, in either order, and changes nothing', async () => {
    const f = await fixture();
    await f.exec('project.init', { project_name: 'Apollo' });
    const task = (await f.exec('task.create', { project_id: 'apollo', title: 'first' })) as TaskView;
    expect(task.id).toBe('apollo-1');
    const refusal = async (project_id: string): Promise<MissionError> => {
      try {
        await f.exec('project.init', { project_name: project_id, project_id });
      } catch (err) {
        return err as MissionError;
      }
      throw new Error(`project ${project_id} was created`);
    };
    // apollo-1 is a task already; apollo-7 would be one later: both name apollo's tasks.
    for (const id of ['apollo-1', 'apollo-7']) {
      const err = await refusal(id);
      expect(err.code).toBe('CONFLICT');
      expect(err.data).toMatchObject({ project_id: id, conflicts_with: 'apollo' });
      expect(err.message).toContain('task ids of apollo are apollo-<n>');
    }
    await f.exec('project.init', { project_name: 'Mercury 2', project_id: 'mercury-2' });
    expect((await refusal('mercury')).data).toMatchObject({ project_id: 'mercury', conflicts_with: 'mercury-2' });
    // Not numbered: apollo-x and apollos are ordinary ids.
    await f.exec('project.init', { project_name: 'x', project_id: 'apollo-x' });
    await f.exec('project.init', { project_name: 'Apollos' });
    expect(f.store.db.prepare('SELECT id FROM projects ORDER BY id').pluck().all()).toEqual(['apollo', 'apollo-x', 'apollos', 'mercury-2']);
    expect(((await f.exec('task.create', { project_id: 'apollo', title: 'second' })) as TaskView).id).toBe('apollo-2');
  });

  it('enforces the configured limits with LIMIT_EXCEEDED and changes nothing', async () => {
    const f = await fixture({ limits: { max_projects: 1, max_instances_per_project: 2, max_tasks_per_project: 2 } });
    await squad(f);
    await f.exec('soul.create', { soul_id: 'third', name: 'Third' });
    expect(await errorCode(f.exec('project.init', { project_name: 'Second' }))).toBe('LIMIT_EXCEEDED');
    expect(await errorCode(f.exec('agent.create', { project_id: 'vanguard', soul_id: 'third' }))).toBe('LIMIT_EXCEEDED');
    await f.exec('task.create', { project_id: 'vanguard', title: 'a' });
    await f.exec('task.create', { project_id: 'vanguard', title: 'b' });
    expect(await errorCode(f.exec('task.create', { project_id: 'vanguard', title: 'c' }))).toBe('LIMIT_EXCEEDED');
    expect(f.rt.repos.tasks.count('vanguard')).toBe(2);
    expect(f.rt.repos.agents.get('third:vanguard')).toBeUndefined();
  });

  it('runs a task through its life: dependencies, taking, review-free submit, CONFLICT on a stale version', async () => {
    const f = await fixture();
    await squad(f);
    await f.exec('task.create', { project_id: 'vanguard', title: 'Design' });
    const build = (await f.exec('task.create', { project_id: 'vanguard', title: 'Build', assignee_id: 'shuri', depends_on: ['vanguard-1'] })) as TaskView;
    expect(build.id).toBe('vanguard-2');
    // Refused while the dependency is not done.
    expect(await errorCode(f.exec('task.move', { task_id: 'vanguard-2', new_status: 'In-Progress' }, shuri))).toBe('ILLEGAL_TRANSITION');
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 1 });
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'Done' });
    const started = (await f.exec('task.move', { task_id: 'vanguard-2', new_status: 'in_progress' }, shuri)) as TaskView;
    expect(started.status).toBe('in_progress');
    expect(f.rt.repos.agents.get('shuri:vanguard')).toMatchObject({ current_task_id: 'vanguard-2', working: 1 });
    expect(await errorCode(f.exec('task.update', { task_id: 'vanguard-2', title: 'Build it', expected_version: 1 }))).toBe('CONFLICT');
    const updated = (await f.exec('task.update', { task_id: 'vanguard-2', title: 'Build it', expected_version: started.version }, shuri)) as TaskView;
    expect(updated.title).toBe('Build it');
    const done = (await f.exec('task.move', { task_id: 'vanguard-2', new_status: 'done' }, shuri)) as TaskView;
    expect(done.status).toBe('done');
    expect(f.rt.repos.agents.get('shuri:vanguard')).toMatchObject({ current_task_id: null, working: 0 });
    expect(await errorCode(f.exec('task.move', { task_id: 'vanguard-2', new_status: 'nonsense' }))).toBe('INVALID_INPUT');
    expect(await errorCode(f.exec('task.move', { task_id: 'vanguard-99', new_status: 'done' }))).toBe('NOT_FOUND');
  });

  it('blocks on request_help, stops the instance, and unblocks with the answer as a notification', async () => {
    const f = await fixture();
    await squad(f);
    await f.exec('task.create', { project_id: 'vanguard', title: 'Hard', assignee_id: 'shuri' });
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' }, shuri);
    await f.exec('control.log_event', { thought: 'reading the code', action: 'grep' }, shuri);
    const help = (await f.exec('control.request_help', { issue: 'which database?' }, shuri)) as { task: TaskView; agent: AgentView };
    expect(help.task).toMatchObject({ status: 'blocked', blocked_reason: 'which database?', blocked_from: 'in_progress' });
    expect(help.agent.state).toBe('blocked');
    const answered = (await f.exec('task.answer_help', { task_id: 'vanguard-1', answer: 'SQLite' })) as TaskView;
    expect(answered.status).toBe('in_progress');
    expect(f.rt.repos.agents.get('shuri:vanguard')).toMatchObject({ state: 'idle', current_task_id: 'vanguard-1' });
    expect(f.rt.repos.messages.pending('shuri:vanguard').map((n) => n.kind)).toEqual(['help_answer']);
    const stream = f.rt.repos.taskEvents.latest('vanguard-1', 10).map((e) => e.kind);
    expect(stream).toEqual(['answer', 'help', 'log']);
    expect(types(f)).toEqual(expect.arrayContaining(['thought.logged', 'task.help_requested', 'agent.blocked', 'task.help_answered', 'agent.unblocked']));
  });

  it('destroys an instance: its task goes back to the backlog unassigned, its tokens are revoked', async () => {
    const f = await fixture();
    await squad(f);
    f.store.db
      .prepare(`INSERT INTO api_tokens (token_hash, kind, instance_id, created_at) VALUES ('h1', 'instance', 'shuri:vanguard', 0)`)
      .run();
    await f.exec('task.create', { project_id: 'vanguard', title: 'Mine', assignee_id: 'shuri' });
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' }, shuri);
    const gone = (await f.exec('agent.destroy', { instance_id: 'shuri:vanguard' })) as AgentView;
    expect(gone.state).toBe('destroyed');
    expect(f.rt.repos.tasks.get('vanguard-1')).toMatchObject({ status: 'backlog', assignee_id: null });
    const token = f.store.db.prepare(`SELECT revoked_at FROM api_tokens WHERE token_hash = 'h1'`).get() as { revoked_at: number | null };
    expect(token.revoked_at).not.toBeNull();
    expect(f.rt.host.isResident('shuri:vanguard')).toBe(false);
    expect(await errorCode(f.exec('agent.create', { project_id: 'vanguard', soul_id: 'shuri' }))).toBe('CONFLICT');
    expect(await errorCode(f.exec('agent.pause', { instance_id: 'shuri:vanguard' }))).toBe('ILLEGAL_TRANSITION');
  });

  it('pauses, resumes and upgrades an instance (only operators), keeping its work', async () => {
    const f = await fixture();
    await squad(f);
    expect(await errorCode(f.exec('agent.pause', { instance_id: 'shuri:vanguard' }, jarvis))).toBe('ILLEGAL_TRANSITION');
    expect(((await f.exec('agent.pause', { instance_id: 'shuri:vanguard' })) as AgentView).state).toBe('paused');
    expect(f.rt.repos.agents.get('shuri:vanguard')!.next_pulse_at).toBeNull();
    const resumed = (await f.exec('agent.resume', { instance_id: 'shuri:vanguard' })) as AgentView;
    expect(resumed.state).toBe('idle');
    expect(Math.floor(resumed.next_pulse_at! / 1000) % 60).toBe(resumed.pulse_slot);
    await f.exec('soul.update', { soul_id: 'shuri', soul_md: '# Shuri, improved' });
    expect(((await f.exec('agent.upgrade', { instance_id: 'shuri:vanguard' })) as AgentView).state).toBe('upgrading');
    await f.rt.settled();
    expect(f.rt.repos.agents.get('shuri:vanguard')).toMatchObject({ state: 'idle', soul_version: 2 });
  });

  it('sends messages with notifications for the recipient and mentions, and publishes committed events on the bus', async () => {
    const bus = createMemoryBus();
    const seen: CommittedEvent[] = [];
    bus.subscribe('mc.vanguard.evt', (m) => seen.push(...m.json<CommittedEvent[]>()));
    const f = await fixture({ bus });
    await squad(f);
    await f.exec('soul.create', { soul_id: 'friday', name: 'Friday' });
    await f.exec('agent.create', { project_id: 'vanguard', soul_id: 'friday' });
    const sent = (await f.exec('message.send', { to: 'jarvis', text: 'ping @friday please' }, shuri)) as { message_id: number; recipients: string[] };
    expect(sent.message_id).toBeGreaterThan(0);
    expect(sent.recipients.sort()).toEqual(['friday:vanguard', 'jarvis:vanguard']);
    expect(f.rt.repos.messages.pending('friday:vanguard').map((n) => n.kind)).toEqual(['mention']);
    expect(f.rt.repos.messages.pending('jarvis:vanguard').map((n) => n.kind)).toEqual(['message']);
    await f.exec('message.send', { to: '@all', text: 'standup' }, jarvis);
    expect(f.rt.repos.messages.pending('shuri:vanguard')).toHaveLength(1);
    expect(f.rt.repos.messages.pending('jarvis:vanguard')).toHaveLength(1);
    await bus.flush();
    for (let i = 0; i < 50 && seen.length < 6; i++) await new Promise((r) => setTimeout(r, 2)); // delivery is asynchronous
    const logged = f.store.db.prepare(`SELECT seq FROM events WHERE project_id = 'vanguard' ORDER BY seq`).all() as { seq: number }[];
    expect(seen.map((e) => e.seq)).toEqual(logged.map((r) => r.seq));
    await bus.close();
  });

  it('lets an operator send an allowed machine event through inspect.send, refusing others', async () => {
    const f = await fixture();
    await squad(f);
    await f.exec('task.create', { project_id: 'vanguard', title: 'T' });
    const r = (await f.exec('inspect.send', { actor_id: 'vanguard-1', event: { type: 'start', deps_done: true } })) as { state_value: unknown };
    expect(r.state_value).toBe('in_progress');
    expect(await errorCode(f.exec('inspect.send', { actor_id: 'vanguard-1', event: { type: 'deadman_expire' } }))).toBe('ILLEGAL_TRANSITION');
    expect(await errorCode(f.exec('inspect.send', { actor_id: 'nobody', event: { type: 'start' } }))).toBe('NOT_FOUND');
    expect(f.rt.repos.tasks.get('vanguard-1')!.status).toBe('in_progress');
  });

  it('archives and deletes a project, destroying its instances', async () => {
    const f = await fixture();
    await squad(f);
    expect(((await f.exec('project.archive', { project_id: 'vanguard' })) as ProjectView).archived).toBe(true);
    expect(await errorCode(f.exec('task.create', { project_id: 'vanguard', title: 'late' }))).toBe('ILLEGAL_TRANSITION');
    await f.exec('project.delete', { project_id: 'vanguard' }, ADMIN);
    expect(f.rt.repos.projects.get('vanguard')!.deleted_at).not.toBeNull();
    expect(f.rt.repos.agents.inProject('vanguard').map((a) => a.state)).toEqual(['destroyed', 'destroyed']);
    expect(await errorCode(f.exec('project.init', { project_name: 'Vanguard' }))).toBe('CONFLICT');
  });
});
