import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { parseTaskStatus, type By, type TaskStatusName } from '../../src/core/index.js';
import {
  moveEvent,
  resolveMove,
  taskMachine,
  taskStatusOf,
  type TaskEvent,
} from '../../src/machines/index.js';

const ADMIN: By = { kind: 'human', userId: 1, username: 'root', role: 'admin' };
const STATUSES: TaskStatusName[] = ['backlog', 'in_progress', 'review', 'done', 'blocked', 'archived'];

/** SPEC §3 "from → to | transition", by hand; a blocked task here was blocked from in_progress. */
const TRANSITION: Record<TaskStatusName, Partial<Record<TaskStatusName, string>>> = {
  backlog: { in_progress: 'start', blocked: 'block', archived: 'archive' },
  in_progress: { review: 'submit', blocked: 'block', backlog: 'deadman_expire' },
  review: { done: 'approve', in_progress: 'reject', blocked: 'block' },
  done: { archived: 'archive', backlog: 'reopen' },
  blocked: { in_progress: 'unblock' },
  archived: { backlog: 'reopen' },
};

function taskIn(status: TaskStatusName, requireReview: boolean, blockedFrom: TaskStatusName = 'in_progress') {
  const actor = createActor(taskMachine, {
    input: {
      id: 'p-1',
      project_id: 'p',
      title: 't',
      description: '',
      priority: 3,
      assignee_id: null,
      depends_on: [],
      require_review: requireReview,
      max_attempts: 3,
    },
  }).start();
  const path: Record<TaskStatusName, TaskEvent[]> = {
    backlog: [],
    in_progress: [{ type: 'start', by: ADMIN, deps_done: true }],
    review: [
      { type: 'start', by: ADMIN, deps_done: true },
      { type: 'submit', by: ADMIN },
    ],
    done: [
      { type: 'start', by: ADMIN, deps_done: true },
      { type: 'submit', by: ADMIN },
      { type: 'approve', by: ADMIN },
    ],
    blocked: [
      ...(blockedFrom === 'backlog' ? [] : [{ type: 'start', by: ADMIN, deps_done: true } as const]),
      { type: 'block', by: ADMIN, reason: 'r' },
    ],
    archived: [{ type: 'archive', by: ADMIN }],
  };
  for (const e of path[status]) actor.send(e);
  expect(taskStatusOf(actor.getSnapshot())).toBe(status);
  return actor.getSnapshot();
}

describe('resolveMove', () => {
  for (const from of STATUSES) {
    for (const to of STATUSES) {
      it(`${from} → ${to} means ${TRANSITION[from][to] ?? 'nothing'} (require_review)`, () => {
        expect(resolveMove(taskIn(from, true), to)).toBe(TRANSITION[from][to] ?? null);
      });
    }
  }

  it('maps in_progress → done to submit only without review, and in_progress → review only with it', () => {
    const withoutReview = taskIn('in_progress', false);
    expect(resolveMove(withoutReview, 'done')).toBe('submit');
    expect(resolveMove(withoutReview, 'review')).toBeNull();
    expect(resolveMove(taskIn('in_progress', true), 'done')).toBeNull();
  });

  it('maps an unblock to the state the task was blocked from', () => {
    expect(resolveMove(taskIn('blocked', true, 'backlog'), 'backlog')).toBe('unblock');
    expect(resolveMove(taskIn('blocked', true, 'backlog'), 'in_progress')).toBeNull();
  });

  it('accepts PRD spellings and codes through the core status table before resolving', () => {
    const backlog = taskIn('backlog', true);
    expect(resolveMove(backlog, parseTaskStatus('In-Progress'))).toBe('start');
    expect(resolveMove(backlog, parseTaskStatus(1))).toBe('start');
    expect(resolveMove(backlog, parseTaskStatus('Archive'))).toBe('archive');
  });

  it('builds move events carrying what their guards read', () => {
    expect(moveEvent('start', ADMIN, { deps_done: false })).toEqual({
      type: 'start',
      by: ADMIN,
      deps_done: false,
    });
    expect(moveEvent('reject', ADMIN, { deps_done: true, reason: 'no tests' })).toEqual({
      type: 'reject',
      by: ADMIN,
      reason: 'no tests',
    });
    expect(moveEvent('block', ADMIN, { deps_done: true })).toEqual({ type: 'block', by: ADMIN, reason: '' });
    expect(moveEvent('unblock', ADMIN, { deps_done: true, answer: 'use v2' })).toEqual({
      type: 'unblock',
      by: ADMIN,
      answer: 'use v2',
    });
    expect(() => moveEvent('assign', ADMIN, { deps_done: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
