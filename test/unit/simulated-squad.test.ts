import { describe, expect, it } from 'vitest';
import { MissionError, type TaskStatusName, type TaskView } from '../../src/core/index.js';
import { demoSquad, SimulatedDriver, type CallMethod } from '../../src/actors/drivers/simulated/index.js';
import type { InstanceRef, PulseOutcome } from '../../src/actors/drivers/types.js';
import { buildPulsePrompt, distillRequestBody, type PulseNote } from '../../src/workspace/index.js';
import { taskViewOf } from '../support/task-view.js';

/**
 * A test double of the gateway path: a tiny in-memory board that answers the mission methods
 * the brain calls and records every call. Its move rules are SPEC §3's, written here by hand.
 */
interface Call {
  name: string;
  params: Record<string, unknown>;
  instanceId: string;
}

class FakeBoard {
  readonly calls: Call[] = [];
  readonly tasks = new Map<string, TaskView>();
  failNext: MissionError | null = null;

  constructor(
    readonly requireReview: boolean,
    private readonly lead = 'jarvis',
    /** When false, agents may move only their own tasks (a gateway that limits the lead). */
    private readonly leadMayReview = true,
  ) {
    const squad = demoSquad();
    const ids = new Map(squad.tasks.map((t, i) => [t.ref, `vanguard-${i + 1}`]));
    squad.tasks.forEach((t, i) => {
      const id = `vanguard-${i + 1}`;
      this.tasks.set(
        id,
        taskViewOf({
          id,
          project_id: 'vanguard',
          title: t.title,
          description: t.description,
          priority: t.priority,
          assignee_id: t.assignee_id,
          depends_on: t.depends_on.map((ref) => ids.get(ref)!),
        }),
      );
    });
  }

  readonly callMethod: CallMethod = (name, params, { instanceId }) => {
    this.calls.push({ name, params, instanceId });
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      return Promise.reject(err);
    }
    return Promise.resolve(this.answer(name, params, instanceId.split(':')[0]!));
  };

  private task(params: Record<string, unknown>): TaskView {
    const t = this.tasks.get(String(params.task_id));
    if (!t) throw new MissionError('NOT_FOUND');
    return t;
  }

  private set(t: TaskView, status: TaskStatusName): TaskView {
    const next = { ...t, status, version: t.version + 1 };
    this.tasks.set(t.id, next);
    return next;
  }

  private answer(name: string, params: Record<string, unknown>, soul: string): unknown {
    switch (name) {
      case 'mission.task.list': {
        // Pages of 5 whatever the limit, so the brain has to follow cursors.
        const all = [...this.tasks.values()];
        const start = params.cursor ? Number(params.cursor) : 0;
        const end = start + 5;
        return { tasks: all.slice(start, end), next_cursor: end < all.length ? String(end) : null };
      }
      case 'mission.agent.sync':
      case 'mission.control.log_event':
      case 'mission.control.distill_memory':
      case 'mission.task.comment':
        return { ok: true };
      case 'mission.task.assign': {
        const next = { ...this.task(params), assignee_id: params.assignee_id as string };
        this.tasks.set(next.id, next);
        return next;
      }
      case 'mission.control.request_help':
        return this.set(this.task(params), 'blocked');
      case 'mission.task.create': {
        const id = `vanguard-${this.tasks.size + 1}`;
        const created = taskViewOf({
          id,
          project_id: String(params.project_id),
          title: String(params.title),
          description: String(params.description ?? ''),
          priority: Number(params.priority ?? 3),
          assignee_id: (params.assignee_id as string | undefined) ?? null,
        });
        this.tasks.set(id, created);
        return created;
      }
      case 'mission.task.move':
        return this.move(this.task(params), String(params.new_status), soul, params.reason);
      default:
        throw new MissionError('NOT_FOUND', `no method ${name}`);
    }
  }

  private move(t: TaskView, to: string, soul: string, reason: unknown): TaskView {
    const assignee = t.assignee_id === soul;
    if (!assignee && !this.leadMayReview)
      throw new MissionError('FORBIDDEN', 'an agent may only move tasks assigned to it');
    const lead = soul === this.lead && !assignee;
    const depsDone = t.depends_on.every((d) => this.tasks.get(d)?.status === 'done');
    const legal: Partial<Record<TaskStatusName, Partial<Record<string, boolean>>>> = {
      backlog: { in_progress: assignee && depsDone },
      in_progress: this.requireReview ? { review: assignee } : { done: assignee },
      review: { done: lead, in_progress: lead && typeof reason === 'string' && reason.length > 0 },
    };
    const allowed = Object.entries(legal[t.status] ?? {})
      .filter(([, ok]) => ok)
      .map(([target]) => target);
    if (!allowed.includes(to))
      throw new MissionError('ILLEGAL_TRANSITION', `${t.status} → ${to}`, { state: t.status, allowed });
    return this.set(t, to as TaskStatusName);
  }

  /** A human answers every request_help: blocked tasks go back to in_progress. */
  answerHelp(): void {
    for (const t of this.tasks.values()) if (t.status === 'blocked') this.set(t, 'in_progress');
  }

  unassignedBacklog(): TaskView[] {
    return [...this.tasks.values()].filter((t) => t.status === 'backlog' && t.assignee_id === null);
  }
}

const SOULS = demoSquad().souls.map((s) => s.soul_id);
const ROSTER = demoSquad().souls;

function ref(soulId: string): InstanceRef {
  return { id: `${soulId}:vanguard`, soulId, projectId: 'vanguard', soulVersion: 1 };
}

function pulse(
  driver: SimulatedDriver,
  soulId: string,
  pulseId: string,
  signal = new AbortController().signal,
): Promise<PulseOutcome> {
  return driver.deliverPulse(ref(soulId), '[SYSTEM STATUS UPDATE]', { pulseId, timeoutMs: 1000, signal });
}

/** Runs `rounds` rounds in which every soul, lead first, gets one pulse. */
async function simulate(seed: number, rounds: number, requireReview = false): Promise<FakeBoard> {
  const board = new FakeBoard(requireReview);
  const driver = new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed });
  for (let round = 1; round <= rounds; round++) {
    for (const soul of SOULS) {
      const outcome = await pulse(driver, soul, `pulse-${round}-${soul}`);
      expect(outcome.status, `${soul} round ${round}`).toBe('ok');
    }
    board.answerHelp();
  }
  return board;
}

describe('simulated squad', () => {
  it('makes the same calls for the same seed, and different ones for another seed', async () => {
    const a = await simulate(42, 8);
    const b = await simulate(42, 8);
    expect(a.calls.length).toBeGreaterThan(100);
    expect(b.calls).toEqual(a.calls);
    const c = await simulate(7, 8);
    expect(c.calls).not.toEqual(a.calls);
  });

  it('replays a pulse id on a fresh driver with the same calls', async () => {
    const first = new FakeBoard(false);
    const second = new FakeBoard(false);
    await pulse(
      new SimulatedDriver({ callMethod: first.callMethod, roster: () => ROSTER, seed: 3 }),
      'jarvis',
      'pulse-x',
    );
    await pulse(
      new SimulatedDriver({ callMethod: second.callMethod, roster: () => ROSTER, seed: 3 }),
      'jarvis',
      'pulse-x',
    );
    expect(second.calls).toEqual(first.calls);
  });

  it('has the lead assign every unassigned backlog task within two pulses, by skill', async () => {
    const board = new FakeBoard(false);
    const driver = new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1 });
    expect(board.unassignedBacklog().length).toBe(10);
    await pulse(driver, 'jarvis', 'lead-1');
    if (board.unassignedBacklog().length > 0) await pulse(driver, 'jarvis', 'lead-2');
    expect(board.unassignedBacklog()).toEqual([]);
    const assigneeOf = (title: string): string | null =>
      [...board.tasks.values()].find((t) => t.title === title)!.assignee_id;
    // Read off the fixture by hand: each task's text names one teammate's skill.
    expect(assigneeOf('Expose the mission API endpoints')).toBe('shuri');
    expect(assigneeOf('Add token login and session auth')).toBe('vision');
    expect(assigneeOf('Accessibility pass on the board')).toBe('friday');
    expect(assigneeOf('Publish pulse latency metrics')).toBe('wanda');
    expect(assigneeOf('Write the deploy pipeline')).toBe('groot');
    expect(assigneeOf('Rate limit the public API')).not.toBe('jarvis');
    const assignCalls = board.calls.filter((c) => c.name === 'mission.task.assign');
    expect(assignCalls.every((c) => c.instanceId === 'jarvis:vanguard')).toBe(true);
  });

  it('spreads tasks without a skill match by workload', async () => {
    const board = new FakeBoard(false);
    await pulse(
      new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1 }),
      'jarvis',
      'lead-1',
    );
    const load = new Map<string, number>();
    for (const t of board.tasks.values())
      if (t.assignee_id) load.set(t.assignee_id, (load.get(t.assignee_id) ?? 0) + 1);
    expect(load.has('jarvis')).toBe(false);
    expect(Math.max(...load.values()) - Math.min(...load.values())).toBeLessThanOrEqual(2);
  });

  it('starts the highest-priority task assigned to it whose dependencies are done', async () => {
    const board = new FakeBoard(false);
    const driver = new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1 });
    await pulse(driver, 'jarvis', 'lead-1');
    await pulse(driver, 'shuri', 'shuri-1');
    // shuri holds the schema (priority 1) and the API (priority 1, depends on the schema).
    expect(board.tasks.get('vanguard-1')!.status).toBe('in_progress');
    expect(board.tasks.get('vanguard-2')!.status).toBe('backlog');
    const shuri = board.calls.filter((c) => c.instanceId === 'shuri:vanguard').map((c) => c.name);
    expect(shuri.slice(0, 2)).toEqual(['mission.task.list', 'mission.task.list']);
    expect(shuri).toContain('mission.agent.sync');
    expect(shuri.indexOf('mission.agent.sync')).toBeLessThan(shuri.indexOf('mission.task.move'));
    const friday = board.calls.filter(
      (c) => c.instanceId === 'friday:vanguard' && c.name === 'mission.task.move',
    );
    // friday's board task waits for the API; she starts her accessibility task instead.
    await pulse(driver, 'friday', 'friday-1');
    const fridayMoves = board.calls
      .filter((c) => c.instanceId === 'friday:vanguard' && c.name === 'mission.task.move')
      .slice(friday.length);
    expect(fridayMoves.map((c) => c.params.task_id)).toEqual(['vanguard-5']);
  });

  it('logs thoughts about its task, submits after a few pulses, and the lead approves reviews', async () => {
    const board = await simulate(11, 25, true);
    const logs = board.calls.filter((c) => c.name === 'mission.control.log_event');
    expect(logs.length).toBeGreaterThan(30);
    for (const l of logs) {
      const title = board.tasks.get(String(l.params.task_id))!.title;
      expect(String(l.params.thought)).toContain(title);
      expect(String(l.params.action).length).toBeGreaterThan(0);
    }
    const toReview = board.calls.filter(
      (c) => c.name === 'mission.task.move' && c.params.new_status === 'review',
    );
    expect(toReview.length).toBeGreaterThan(3);
    const done = [...board.tasks.values()].filter((t) => t.status === 'done');
    expect(done.length).toBeGreaterThan(3);
    const approvals = board.calls.filter(
      (c) =>
        c.name === 'mission.task.move' &&
        c.params.new_status === 'done' &&
        c.instanceId === 'jarvis:vanguard',
    );
    expect(approvals.length).toBeGreaterThan(0);
  });

  it('asks for help on roughly one working pulse in ten, and mentions teammates in comments', async () => {
    const board = await simulate(5, 40);
    const working = board.calls.filter(
      (c) => c.name === 'mission.agent.sync' && c.params.status === 'working',
    ).length;
    const help = board.calls.filter((c) => c.name === 'mission.control.request_help');
    expect(working).toBeGreaterThan(30);
    expect(help.length / working).toBeGreaterThan(0.03);
    expect(help.length / working).toBeLessThan(0.2);
    const comments = board.calls.filter((c) => c.name === 'mission.task.comment');
    expect(comments.length).toBeGreaterThan(0);
    for (const c of comments) {
      const mentioned = /@([a-z0-9-]+)/.exec(String(c.params.text))?.[1];
      expect(SOULS).toContain(mentioned);
      expect(`${mentioned}:vanguard`).not.toBe(c.instanceId);
    }
  });

  it('stops reviewing for the pulse when reviews are forbidden to it, and still finishes the pulse', async () => {
    const board = new FakeBoard(true, 'jarvis', false);
    const driver = new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1 });
    for (const id of ['vanguard-1', 'vanguard-8', 'vanguard-10'])
      board.tasks.set(id, { ...board.tasks.get(id)!, status: 'review' });
    expect((await pulse(driver, 'jarvis', 'lead-1')).status).toBe('ok');
    const reviewMoves = board.calls.filter((c) => c.name === 'mission.task.move');
    expect(reviewMoves.length).toBe(1);
    expect(board.unassignedBacklog()).toEqual([]);
  });

  it('reviews at most two tasks per lead pulse, highest priority first, so the board stays calm', async () => {
    const board = new FakeBoard(true);
    const driver = new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1, taskPool: () => [] });
    // vanguard-1 (P1, shuri), vanguard-8 (P3, wanda), vanguard-10 (P4, groot) wait for review.
    for (const id of ['vanguard-10', 'vanguard-8', 'vanguard-1'])
      board.tasks.set(id, { ...board.tasks.get(id)!, status: 'review' });
    await pulse(driver, 'jarvis', 'lead-1');
    const reviewed = board.calls.filter((c) => c.name === 'mission.task.move' && c.instanceId === 'jarvis:vanguard').map((c) => c.params.task_id);
    expect(reviewed).toEqual(['vanguard-1', 'vanguard-8']);
    expect(board.tasks.get('vanguard-10')!.status).toBe('review');
    await pulse(driver, 'jarvis', 'lead-2');
    expect(board.tasks.get('vanguard-10')!.status).not.toBe('review');
  });

  it('distills once, naming the finished tasks, on a pulse whose prompt asks it to', async () => {
    const board = new FakeBoard(false);
    const driver = new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1 });
    const finished = [board.tasks.get('vanguard-1')!, board.tasks.get('vanguard-2')!];
    const notifications: PulseNote[] = [
      ...finished.map((t) => ({ kind: 'distill', task_id: t.id, body: distillRequestBody(t) })),
      { kind: 'help_answer', task_id: 'vanguard-3', body: 'ada: no need to distill vanguard-3 yet' },
    ];
    const prompt = buildPulsePrompt({
      project_id: 'vanguard',
      scoped_path: '/data/projects/vanguard/',
      task: null,
      learned_excerpt: '',
      team_notes: { task_events: [], messages: [] },
      notifications,
      pulse_id: 'pulse-1',
      memory: { soul_md: '', context: '', working: '' },
    });
    await driver.deliverPulse(ref('shuri'), prompt, { pulseId: 'pulse-1', timeoutMs: 1000, signal: new AbortController().signal });
    const distills = board.calls.filter((c) => c.name === 'mission.control.distill_memory');
    expect(distills).toHaveLength(1);
    for (const t of finished) expect(String(distills[0]!.params.summary)).toContain(t.title);
    expect(String(distills[0]!.params.summary)).not.toContain(board.tasks.get('vanguard-3')!.title);

    await pulse(driver, 'shuri', 'pulse-2');
    expect(board.calls.filter((c) => c.name === 'mission.control.distill_memory')).toHaveLength(1);
  });

  it('does not act twice for a redelivered pulse id', async () => {
    const board = new FakeBoard(false);
    const driver = new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1 });
    const first = await pulse(driver, 'jarvis', 'pulse-1');
    const count = board.calls.length;
    expect(await pulse(driver, 'jarvis', 'pulse-1')).toEqual(first);
    expect(board.calls.length).toBe(count);
  });

  it('reports an aborted pulse, and runs it again when redelivered', async () => {
    const board = new FakeBoard(false);
    const driver = new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1 });
    const controller = new AbortController();
    controller.abort();
    expect(await pulse(driver, 'shuri', 'pulse-9', controller.signal)).toEqual({ status: 'aborted' });
    expect(board.calls.length).toBe(0);
    expect((await pulse(driver, 'shuri', 'pulse-9')).status).toBe('ok');
    expect(board.calls.length).toBeGreaterThan(0);
  });

  it('reports a failed call as a failed pulse with its code and severity', async () => {
    const board = new FakeBoard(false);
    const driver = new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1 });
    board.failNext = new MissionError('SHUTTING_DOWN');
    const outcome = await pulse(driver, 'shuri', 'pulse-3');
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'SHUTTING_DOWN', transient: true } });
  });
});

describe('the lead keeps the backlog from running dry', () => {
  const POOL = [
    { title: 'Pool one', description: 'backend api work', priority: 2 as const },
    { title: 'Pool two', description: 'ui polish', priority: 3 as const },
  ];
  /** A board whose backlog holds `backlog` tasks; every other task is done. */
  function boardWithBacklog(backlog: number): FakeBoard {
    const board = new FakeBoard(false);
    [...board.tasks.values()].forEach((t, i) => board.tasks.set(t.id, { ...t, status: i < backlog ? 'backlog' : 'done', assignee_id: 'shuri' }));
    return board;
  }
  const creates = (board: FakeBoard): Call[] => board.calls.filter((c) => c.name === 'mission.task.create');

  it('files one pool task per lead pulse while fewer than five tasks wait in backlog', async () => {
    const board = boardWithBacklog(4);
    const driver = new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1, taskPool: () => POOL });
    await pulse(driver, 'jarvis', 'lead-1');
    expect(creates(board).length).toBe(1);
    const filed = creates(board)[0]!;
    expect(filed.instanceId).toBe('jarvis:vanguard');
    expect(POOL.map((p) => p.title)).toContain(filed.params.title);
    expect(filed.params.assignee_id).toBeUndefined();
    // Backlog is now 5: the next lead pulse assigns the new task and files nothing.
    await pulse(driver, 'jarvis', 'lead-2');
    expect(creates(board).length).toBe(1);
    expect(board.unassignedBacklog()).toEqual([]);
  });

  it('files nothing while five tasks wait, and only titles not already on the board', async () => {
    const full = boardWithBacklog(5);
    await pulse(new SimulatedDriver({ callMethod: full.callMethod, roster: () => ROSTER, seed: 1, taskPool: () => POOL }), 'jarvis', 'lead-1');
    expect(creates(full)).toEqual([]);

    const low = boardWithBacklog(0);
    const driver = new SimulatedDriver({ callMethod: low.callMethod, roster: () => ROSTER, seed: 1, taskPool: () => POOL });
    for (let i = 1; i <= 4; i++) await pulse(driver, 'jarvis', `lead-${i}`);
    expect(creates(low).map((c) => c.params.title).sort()).toEqual(['Pool one', 'Pool two']);
  });

  it('never files work in a project without a pool (only the demo project has one by default)', async () => {
    const board = boardWithBacklog(0);
    await pulse(new SimulatedDriver({ callMethod: board.callMethod, roster: () => ROSTER, seed: 1, taskPool: () => [] }), 'jarvis', 'lead-1');
    expect(creates(board)).toEqual([]);
    const other = boardWithBacklog(0);
    const elsewhere: InstanceRef = { id: 'jarvis:elsewhere', soulId: 'jarvis', projectId: 'elsewhere', soulVersion: 1 };
    await new SimulatedDriver({ callMethod: other.callMethod, roster: () => ROSTER, seed: 1 }).deliverPulse(elsewhere, '', { pulseId: 'p', timeoutMs: 1000, signal: new AbortController().signal });
    expect(creates(other)).toEqual([]);
  });

  it('skips a task it may no longer assign and still assigns the rest', async () => {
    const board = new FakeBoard(false);
    board.failNext = null;
    const original = board.callMethod;
    let refused = false;
    const callMethod: CallMethod = (name, params, ctx) => {
      if (name === 'mission.task.assign' && !refused) {
        refused = true;
        board.calls.push({ name, params, instanceId: ctx.instanceId });
        return Promise.reject(new MissionError('ILLEGAL_TRANSITION', 'task moved on', { state: 'in_progress', allowed: [] }));
      }
      return original(name, params, ctx);
    };
    const driver = new SimulatedDriver({ callMethod, roster: () => ROSTER, seed: 1, taskPool: () => [] });
    expect((await pulse(driver, 'jarvis', 'lead-1')).status).toBe('ok');
    expect(board.unassignedBacklog().length).toBe(1);
  });
});

describe('demo squad fixture', () => {
  it('is project vanguard with six souls, one lead, and ~14 backlog tasks with dependencies', () => {
    const squad = demoSquad();
    expect(squad.project).toEqual({ project_id: 'vanguard', project_name: 'Vanguard' });
    expect(squad.souls.map((s) => s.soul_id).sort()).toEqual([
      'friday',
      'groot',
      'jarvis',
      'shuri',
      'vision',
      'wanda',
    ]);
    expect(squad.souls.filter((s) => s.role === 'lead').map((s) => s.soul_id)).toEqual(['jarvis']);
    for (const s of squad.souls) {
      expect(s.skills.length).toBeGreaterThan(0);
      expect(s.soul_md).toContain(`# ${s.name}`);
    }
    expect(squad.tasks.length).toBe(14);
    const refs = new Set(squad.tasks.map((t) => t.ref));
    expect(refs.size).toBe(14);
    const withDeps = squad.tasks.filter((t) => t.depends_on.length > 0);
    expect(withDeps.length).toBeGreaterThanOrEqual(2);
    for (const t of withDeps) for (const d of t.depends_on) expect(refs.has(d)).toBe(true);
  });
});
