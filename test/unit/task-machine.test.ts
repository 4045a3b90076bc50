import { describe, expect, it } from 'vitest';
import { createActor, type SnapshotFrom } from 'xstate';
import { toDirectedGraph } from 'xstate/graph';
import type { By, TaskStatusName } from '../../src/core/index.js';
import {
  allowedTargets,
  moveEvent,
  resolveMove,
  taskMachine,
  toTaskView,
  type TaskEvent,
  type TaskInput,
} from '../../src/machines/index.js';

type Snap = SnapshotFrom<typeof taskMachine>;

const PROJECT = 'vanguard';
/** The six kinds of sender the task machine must tell apart (shuri is the assignee). */
const BY = {
  assignee: { kind: 'agent', instanceId: `shuri:${PROJECT}`, soulId: 'shuri', isLead: false },
  other: { kind: 'agent', instanceId: `friday:${PROJECT}`, soulId: 'friday', isLead: false },
  lead: { kind: 'agent', instanceId: `jarvis:${PROJECT}`, soulId: 'jarvis', isLead: true },
  member: { kind: 'human', userId: 7, username: 'pepper', role: 'member' },
  viewer: { kind: 'human', userId: 8, username: 'happy', role: 'viewer' },
  runtime: { kind: 'runtime' },
} as const satisfies Record<string, By>;
type Who = keyof typeof BY;
const WHO = Object.keys(BY) as Who[];
const STATUSES: TaskStatusName[] = ['backlog', 'in_progress', 'review', 'done', 'blocked', 'archived'];
const ADMIN: By = { kind: 'human', userId: 1, username: 'root', role: 'admin' };

function input(overrides: Partial<TaskInput> = {}): TaskInput {
  return {
    id: `${PROJECT}-1`,
    project_id: PROJECT,
    title: 'Calibrate the arc reactor',
    description: '',
    priority: 2,
    assignee_id: 'shuri',
    depends_on: [],
    require_review: true,
    max_attempts: 3,
    ...overrides,
  };
}

/** Drives a fresh task into `status` with an admin's events (the path the board would take). */
function taskIn(
  status: TaskStatusName,
  overrides: Partial<TaskInput> = {},
  blockedFrom: TaskStatusName = 'in_progress',
) {
  const actor = createActor(taskMachine, { input: input(overrides) }).start();
  const send = (e: TaskEvent): void => actor.send(e);
  const start = (): void => send({ type: 'start', by: ADMIN, deps_done: true });
  const submit = (): void => send({ type: 'submit', by: ADMIN });
  switch (status) {
    case 'backlog':
      break;
    case 'in_progress':
      start();
      break;
    case 'review':
      start();
      submit();
      break;
    case 'done':
      start();
      submit();
      if (actor.getSnapshot().value === 'review') send({ type: 'approve', by: ADMIN });
      break;
    case 'blocked':
      if (blockedFrom !== 'backlog') start();
      if (blockedFrom === 'review') submit();
      send({ type: 'block', by: ADMIN, reason: 'waiting on vendor' });
      break;
    case 'archived':
      send({ type: 'archive', by: ADMIN });
      break;
  }
  expect(actor.getSnapshot().value).toBe(status);
  return actor;
}

/**
 * SPEC §3, written by hand: who may move a task from → to, for a project with require_review.
 * A blocked task here was blocked from in_progress. Every pair not listed is refused for all.
 */
const MOVES_WITH_REVIEW: Record<TaskStatusName, Partial<Record<TaskStatusName, Who[]>>> = {
  backlog: { in_progress: ['assignee', 'member'], blocked: ['assignee', 'member'], archived: ['member'] },
  in_progress: { review: ['assignee', 'member'], blocked: ['assignee', 'member'], backlog: ['runtime'] },
  review: { done: ['lead', 'member'], in_progress: ['lead', 'member'], blocked: ['assignee', 'member'] },
  done: { archived: ['member'], backlog: ['member'] },
  blocked: { in_progress: ['member'] },
  archived: { backlog: ['member'] },
};
/** Without require_review, submit goes straight to done. */
const MOVES_WITHOUT_REVIEW: typeof MOVES_WITH_REVIEW = {
  ...MOVES_WITH_REVIEW,
  in_progress: { done: ['assignee', 'member'], blocked: ['assignee', 'member'], backlog: ['runtime'] },
};

function tryMove(actor: ReturnType<typeof taskIn>, target: TaskStatusName, by: By): void {
  const type = resolveMove(actor.getSnapshot(), target);
  if (type === null) return;
  actor.send(moveEvent(type, by, { deps_done: true, reason: 'needs another pass' }));
}

for (const [label, table, requireReview] of [
  ['with review', MOVES_WITH_REVIEW, true],
  ['without review', MOVES_WITHOUT_REVIEW, false],
] as const) {
  describe(`task moves ${label}: every (from, to, sender) against SPEC §3`, () => {
    // Without review no task reaches `review`; that row is the same in both tables anyway.
    for (const from of STATUSES.filter((s) => requireReview || s !== 'review')) {
      for (const to of STATUSES) {
        for (const who of WHO) {
          const legal = table[from][to]?.includes(who) ?? false;
          it(`${legal ? 'accepts' : 'refuses'} ${from} → ${to} by ${who}`, () => {
            const actor = taskIn(from, { require_review: requireReview });
            const before = actor.getSnapshot();
            tryMove(actor, to, BY[who]);
            const after = actor.getSnapshot();
            if (legal) {
              expect(after.value).toBe(to);
              expect(after.context.version).toBe(before.context.version + 1);
            } else {
              expect(after.value).toBe(from);
              expect(after.context).toEqual(before.context);
            }
          });
        }
      }
      it(`lists the allowed targets from ${from} for each sender`, () => {
        const snapshot = taskIn(from, { require_review: requireReview }).getSnapshot();
        for (const who of WHO) {
          const expected = STATUSES.filter((to) => table[from][to]?.includes(who)).sort();
          expect([...allowedTargets(snapshot, BY[who], { deps_done: true })].sort(), who).toEqual(expected);
        }
      });
    }
  });
}

describe('task guards', () => {
  it('refuses to start while a dependency is not done, for the assignee and for humans', () => {
    for (const by of [BY.assignee, BY.member, ADMIN]) {
      const actor = taskIn('backlog', { depends_on: [`${PROJECT}-9`] });
      actor.send({ type: 'start', by, deps_done: false });
      expect(actor.getSnapshot().value).toBe('backlog');
      expect(allowedTargets(actor.getSnapshot(), by, { deps_done: false })).not.toContain('in_progress');
      actor.send({ type: 'start', by, deps_done: true });
      expect(actor.getSnapshot().value).toBe('in_progress');
    }
  });

  it('refuses a reject without a reason, or with only whitespace', () => {
    const actor = taskIn('review');
    actor.send({ type: 'reject', by: BY.member, reason: '' });
    actor.send({ type: 'reject', by: BY.lead, reason: '   ' });
    expect(actor.getSnapshot().value).toBe('review');
    actor.send({ type: 'reject', by: BY.lead, reason: 'tests are missing' });
    expect(actor.getSnapshot().value).toBe('in_progress');
  });

  it('refuses a block without a reason', () => {
    const actor = taskIn('in_progress');
    actor.send({ type: 'block', by: BY.assignee, reason: ' ' });
    expect(actor.getSnapshot().value).toBe('in_progress');
    actor.send({ type: 'block', by: BY.assignee, reason: 'need API keys' });
    expect(actor.getSnapshot().value).toBe('blocked');
    expect(actor.getSnapshot().context.blocked_reason).toBe('need API keys');
  });

  it('never lets the assignee approve its own work, even when it is the lead', () => {
    const leadAssignee: By = {
      kind: 'agent',
      instanceId: `jarvis:${PROJECT}`,
      soulId: 'jarvis',
      isLead: true,
    };
    const actor = taskIn('review', { assignee_id: 'jarvis' });
    actor.send({ type: 'approve', by: leadAssignee });
    expect(actor.getSnapshot().value).toBe('review');
    actor.send({ type: 'approve', by: BY.member });
    expect(actor.getSnapshot().value).toBe('done');
  });

  it("refuses an agent of another project, even with the assignee's soul or lead role", () => {
    const foreignAssignee: By = { kind: 'agent', instanceId: 'shuri:other', soulId: 'shuri', isLead: false };
    const foreignLead: By = { kind: 'agent', instanceId: 'jarvis:other', soulId: 'jarvis', isLead: true };
    const backlog = taskIn('backlog');
    backlog.send({ type: 'start', by: foreignAssignee, deps_done: true });
    backlog.send({ type: 'assign', by: foreignLead, assignee_id: 'friday' });
    expect(backlog.getSnapshot().value).toBe('backlog');
    expect(backlog.getSnapshot().context.assignee_id).toBe('shuri');
    const review = taskIn('review');
    review.send({ type: 'approve', by: foreignLead });
    expect(review.getSnapshot().value).toBe('review');
  });

  it('expires to backlog counting attempts, and at max_attempts blocks with reason deadman from backlog', () => {
    const actor = taskIn('in_progress', { max_attempts: 3 });
    actor.send({ type: 'deadman_expire', by: BY.member });
    expect(actor.getSnapshot().value).toBe('in_progress');
    for (const attempt of [1, 2]) {
      actor.send({ type: 'deadman_expire', by: BY.runtime });
      expect(actor.getSnapshot().value).toBe('backlog');
      expect(actor.getSnapshot().context.attempts).toBe(attempt);
      actor.send({ type: 'start', by: BY.assignee, deps_done: true });
    }
    expect(allowedTargets(actor.getSnapshot(), BY.runtime, { deps_done: true })).toEqual([]);
    actor.send({ type: 'deadman_expire', by: BY.runtime });
    const s = actor.getSnapshot();
    expect(s.value).toBe('blocked');
    expect(s.context).toMatchObject({ attempts: 3, blocked_reason: 'deadman', blocked_from: 'backlog' });
    actor.send({ type: 'unblock', by: BY.member, answer: 'retry with a smaller scope' });
    expect(actor.getSnapshot().value).toBe('backlog');
    expect(actor.getSnapshot().context).toMatchObject({
      blocked_reason: null,
      blocked_from: null,
      help_answer: 'retry with a smaller scope',
    });
  });

  it('releases an in-progress task to the backlog (runtime only, no attempt counted, assignee and fields kept)', () => {
    const actor = taskIn('in_progress', { max_attempts: 1 });
    const before = actor.getSnapshot().context;
    for (const who of ['assignee', 'member', 'lead', 'viewer'] as const) {
      actor.send({ type: 'release', by: BY[who] });
      expect(actor.getSnapshot().value, who).toBe('in_progress');
    }
    // At max_attempts 1 a deadman would block; a release never does.
    actor.send({ type: 'release', by: BY.runtime });
    const s = actor.getSnapshot();
    expect(s.value).toBe('backlog');
    expect(s.context).toEqual({ ...before, version: before.version + 1 });
    expect(s.context.attempts).toBe(0);
  });

  it('refuses release outside in_progress', () => {
    for (const state of STATUSES.filter((s) => s !== 'in_progress')) {
      const actor = taskIn(state);
      const before = actor.getSnapshot();
      actor.send({ type: 'release', by: BY.runtime });
      expect(actor.getSnapshot().value, state).toBe(before.value);
      expect(actor.getSnapshot().context, state).toEqual(before.context);
    }
  });

  for (const from of ['backlog', 'in_progress', 'review'] as const) {
    it(`returns a task blocked from ${from} to ${from} on unblock, and nowhere else`, () => {
      const actor = taskIn('blocked', {}, from);
      expect(actor.getSnapshot().context.blocked_from).toBe(from);
      for (const elsewhere of STATUSES.filter((s) => s !== from && s !== 'blocked')) {
        expect(resolveMove(actor.getSnapshot(), elsewhere)).toBeNull();
      }
      expect(allowedTargets(actor.getSnapshot(), BY.member, { deps_done: true })).toEqual([from]);
      actor.send({ type: 'unblock', by: BY.assignee });
      expect(actor.getSnapshot().value).toBe('blocked');
      actor.send({ type: 'unblock', by: BY.member });
      expect(actor.getSnapshot().value).toBe(from);
    });
  }

  it('assigns in backlog, in_progress and blocked (member+, an agent, or the runtime releasing a destroyed agent’s work)', () => {
    const legalStates: TaskStatusName[] = ['backlog', 'in_progress', 'blocked'];
    const legalWho: Who[] = ['assignee', 'other', 'lead', 'member', 'runtime'];
    for (const state of STATUSES) {
      for (const who of WHO) {
        const actor = taskIn(state);
        actor.send({ type: 'assign', by: BY[who], assignee_id: 'wanda' });
        const expected = legalStates.includes(state) && legalWho.includes(who) ? 'wanda' : 'shuri';
        expect(actor.getSnapshot().context.assignee_id, `${state} by ${who}`).toBe(expected);
        expect(actor.getSnapshot().value).toBe(state);
      }
    }
  });

  it('updates in every state but archived, for member+ and agents', () => {
    for (const state of STATUSES) {
      for (const who of WHO) {
        const actor = taskIn(state);
        actor.send({
          type: 'update',
          by: BY[who],
          title: 'Recalibrate',
          priority: 1,
          depends_on: [`${PROJECT}-4`],
        });
        const accepted = state !== 'archived' && who !== 'viewer' && who !== 'runtime';
        const c = actor.getSnapshot().context;
        expect(c.title, `${state} by ${who}`).toBe(accepted ? 'Recalibrate' : 'Calibrate the arc reactor');
        if (accepted) expect(c).toMatchObject({ priority: 1, depends_on: [`${PROJECT}-4`], description: '' });
      }
    }
  });

  it('refuses an update with an empty title, a priority outside 1-5, or a dependency on itself', () => {
    for (const bad of [
      { title: '  ' },
      { priority: 0 },
      { priority: 6 },
      { priority: 2.5 },
      { depends_on: [`${PROJECT}-1`] },
    ]) {
      const actor = taskIn('backlog');
      const before = actor.getSnapshot().context;
      actor.send({ type: 'update', by: BY.member, ...bad });
      expect(actor.getSnapshot().context, JSON.stringify(bad)).toEqual(before);
    }
  });

  it('refuses every write from a viewer (defence in depth behind the gateway)', () => {
    for (const state of STATUSES) {
      const actor = taskIn(state);
      const before = actor.getSnapshot().context;
      for (const e of [
        { type: 'start', deps_done: true },
        { type: 'submit' },
        { type: 'approve' },
        { type: 'reject', reason: 'r' },
        { type: 'block', reason: 'r' },
        { type: 'unblock' },
        { type: 'archive' },
        { type: 'reopen' },
        { type: 'deadman_expire' },
        { type: 'release' },
        { type: 'assign', assignee_id: null },
        { type: 'update', title: 'x' },
      ] as const) {
        actor.send({ ...e, by: BY.viewer } as TaskEvent);
      }
      expect(actor.getSnapshot().value).toBe(state);
      expect(actor.getSnapshot().context).toEqual(before);
    }
  });
});

describe('task machine definition and read model', () => {
  it('serialises to JSON listing every status as a top-level state, with named guards', () => {
    const json = JSON.parse(JSON.stringify(taskMachine.toJSON())) as {
      states: Record<string, { on: Record<string, { guard?: unknown }[]> }>;
    };
    expect(Object.keys(json.states).sort()).toEqual([...STATUSES].sort());
    const guards = Object.values(json.states).flatMap((s) =>
      Object.values(s.on).flatMap((ts) => ts.map((t) => t.guard)),
    );
    expect(guards.length).toBeGreaterThan(15);
    for (const guard of guards) {
      expect(
        typeof guard === 'string' || (typeof guard === 'object' && guard !== null && 'type' in guard),
        JSON.stringify(guard),
      ).toBe(true);
    }
  });

  it('draws as a statechart whose edges are exactly the SPEC §3 from → to pairs', () => {
    const graph = toDirectedGraph(taskMachine);
    expect(graph.children.map((c) => c.stateNode.key).sort()).toEqual([...STATUSES].sort());
    // Targetless transitions (assign, update) draw as self-loops; the table lists moves only.
    const moves = graph.children.flatMap((c) => c.edges.filter((e) => e.source !== e.target));
    const pairs = new Set(moves.map((e) => `${e.source.key}→${e.target.key}`));
    const spec = [
      'backlog→in_progress',
      'in_progress→review',
      'in_progress→done',
      'review→done',
      'review→in_progress',
      'backlog→blocked',
      'in_progress→blocked',
      'review→blocked',
      'blocked→backlog',
      'blocked→in_progress',
      'blocked→review',
      'backlog→archived',
      'done→archived',
      'done→backlog',
      'archived→backlog',
      'in_progress→backlog',
    ];
    expect([...pairs].sort()).toEqual(spec.sort());
  });

  it('renders a TaskView with status code and the host timestamps', () => {
    const actor = taskIn('blocked');
    const view = toTaskView(actor.getSnapshot() as Snap, { created_at: 10, updated_at: 20 });
    expect(view).toEqual({
      id: `${PROJECT}-1`,
      project_id: PROJECT,
      title: 'Calibrate the arc reactor',
      description: '',
      status: 'blocked',
      status_code: 3,
      priority: 2,
      assignee_id: 'shuri',
      depends_on: [],
      version: 3,
      blocked_reason: 'waiting on vendor',
      blocked_from: 'in_progress',
      attempts: 0,
      created_at: 10,
      updated_at: 20,
    });
  });
});
