import { assign, setup } from 'xstate';
import type { By, TaskStatusName } from '../core/index.js';
import { isAssigneeAgent, isAgentOf, isHumanWriter, isLeadOf, isRuntime } from './who.js';

/**
 * The task lifecycle (SPEC §3): the one authority on which transition a task may take and who
 * may take it. Top-level state names are the status names, so `snapshot.value` is the status.
 * Pure: no I/O, no clock; whatever the guards need (`deps_done`) arrives in the event.
 *
 * Roles: humans with role `viewer` are refused by every guard (the gateway refuses them too;
 * this is defence in depth). An agent counts only when its instance belongs to this project.
 */
export const MACHINE_ID = 'task';
export const MACHINE_VERSION = 1;

export interface TaskInput {
  id: string;
  project_id: string;
  title: string;
  description: string;
  priority: number;
  assignee_id: string | null;
  depends_on: string[];
  require_review: boolean;
  max_attempts: number;
}

export interface TaskContext extends TaskInput {
  attempts: number;
  blocked_reason: string | null;
  blocked_from: TaskStatusName | null;
  /** The last human answer to a `request_help`, delivered to the agent on its next pulse. */
  help_answer: string | null;
  /** +1 on every accepted event (optimistic concurrency for `task.update`). */
  version: number;
}

/** The reason a deadman expiry at `max_attempts` records on the blocked task. */
export const DEADMAN_REASON = 'deadman';

interface WithBy {
  by: By;
}
export type TaskEvent =
  | ({ type: 'start'; deps_done: boolean } & WithBy)
  | ({ type: 'submit' } & WithBy)
  | ({ type: 'approve' } & WithBy)
  | ({ type: 'reject'; reason: string } & WithBy)
  | ({ type: 'block'; reason: string } & WithBy)
  | ({ type: 'unblock'; answer?: string } & WithBy)
  | ({ type: 'archive' } & WithBy)
  | ({ type: 'reopen' } & WithBy)
  | ({ type: 'deadman_expire' } & WithBy)
  | ({ type: 'release' } & WithBy)
  | ({ type: 'assign'; assignee_id: string | null } & WithBy)
  | ({
      type: 'update';
      title?: string;
      description?: string;
      priority?: number;
      depends_on?: string[];
    } & WithBy);

export type TaskEventType = TaskEvent['type'];

/** States a task can be blocked from (and so return to on unblock). */
type BlockableStatus = 'backlog' | 'in_progress' | 'review';

function hasReason(event: TaskEvent): boolean {
  return (
    (event.type === 'reject' || event.type === 'block') &&
    typeof event.reason === 'string' &&
    event.reason.trim().length > 0
  );
}

function isAssigneeOrHuman(context: TaskContext, by: By): boolean {
  return isHumanWriter(by) || isAssigneeAgent(by, context.assignee_id, context.project_id);
}

function isHumanOrLead(context: TaskContext, by: By): boolean {
  return isHumanWriter(by) || isLeadOf(by, context.project_id);
}

function isValidUpdate(context: TaskContext, event: TaskEvent): boolean {
  if (event.type !== 'update') return false;
  if (event.title !== undefined && event.title.trim().length === 0) return false;
  if (
    event.priority !== undefined &&
    !(Number.isInteger(event.priority) && event.priority >= 1 && event.priority <= 5)
  )
    return false;
  return event.depends_on === undefined || !event.depends_on.includes(context.id);
}

export const taskMachine = setup({
  types: {} as { context: TaskContext; events: TaskEvent; input: TaskInput },
  guards: {
    /** The assignee or a human, and every dependency is done. */
    mayStart: ({ context, event }) =>
      event.type === 'start' && event.deps_done === true && isAssigneeOrHuman(context, event.by),
    maySubmitForReview: ({ context, event }) =>
      context.require_review && isAssigneeOrHuman(context, event.by),
    maySubmitAsDone: ({ context, event }) => !context.require_review && isAssigneeOrHuman(context, event.by),
    /** A human or the lead, never the assignee approving its own work. */
    mayApprove: ({ context, event }) =>
      isHumanOrLead(context, event.by) && !isAssigneeAgent(event.by, context.assignee_id, context.project_id),
    mayReject: ({ context, event }) => hasReason(event) && isHumanOrLead(context, event.by),
    mayBlock: ({ context, event }) => hasReason(event) && isAssigneeOrHuman(context, event.by),
    /** Unblock returns to the state the task was blocked from (backlog when unknown). */
    mayUnblockTo: ({ context, event }, params: { state: BlockableStatus }) =>
      isHumanWriter(event.by) && (context.blocked_from ?? 'backlog') === params.state,
    byHuman: ({ event }) => isHumanWriter(event.by),
    /** Deadman expiry that uses up the last attempt: the task blocks instead of retrying. */
    runtimeAtLastAttempt: ({ context, event }) =>
      isRuntime(event.by) && context.attempts + 1 >= context.max_attempts,
    byRuntime: ({ event }) => isRuntime(event.by),
    /**
     * SPEC §5 `task.assign` callers: member+ or an agent of the project; also the runtime, which
     * releases a destroyed instance's tasks (SPEC §4 destroyed: tasks released).
     */
    mayAssign: ({ context, event }) =>
      isHumanWriter(event.by) || isAgentOf(event.by, context.project_id) || isRuntime(event.by),
    /** Member+ or an agent, with values the board can hold (never a task depending on itself). */
    mayUpdate: ({ context, event }) =>
      isValidUpdate(context, event) && (isHumanWriter(event.by) || isAgentOf(event.by, context.project_id)),
  },
  actions: {
    bumpVersion: assign({ version: ({ context }) => context.version + 1 }),
    recordBlock: assign(({ event }, params: { from: BlockableStatus }) => ({
      blocked_reason: event.type === 'block' ? event.reason : null,
      blocked_from: params.from,
    })),
    recordDeadmanBlock: assign({ blocked_reason: DEADMAN_REASON, blocked_from: 'backlog' as TaskStatusName }),
    clearBlock: assign({ blocked_reason: null, blocked_from: null }),
    recordHelpAnswer: assign({
      help_answer: ({ context, event }) =>
        event.type === 'unblock' && event.answer !== undefined ? event.answer : context.help_answer,
    }),
    countAttempt: assign({ attempts: ({ context }) => context.attempts + 1 }),
    setAssignee: assign({
      assignee_id: ({ context, event }) =>
        event.type === 'assign' ? event.assignee_id : context.assignee_id,
    }),
    applyUpdate: assign(({ context, event }) => {
      if (event.type !== 'update') return {};
      return {
        title: event.title ?? context.title,
        description: event.description ?? context.description,
        priority: event.priority ?? context.priority,
        depends_on: event.depends_on ? [...event.depends_on] : context.depends_on,
      };
    }),
  },
}).createMachine({
  id: MACHINE_ID,
  context: ({ input }) => ({
    ...input,
    depends_on: [...input.depends_on],
    attempts: 0,
    blocked_reason: null,
    blocked_from: null,
    help_answer: null,
    version: 1,
  }),
  initial: 'backlog',
  states: {
    backlog: {
      on: {
        start: { target: 'in_progress', guard: 'mayStart', actions: 'bumpVersion' },
        block: {
          target: 'blocked',
          guard: 'mayBlock',
          actions: [{ type: 'recordBlock', params: { from: 'backlog' } }, 'bumpVersion'],
        },
        archive: { target: 'archived', guard: 'byHuman', actions: 'bumpVersion' },
        assign: { guard: 'mayAssign', actions: ['setAssignee', 'bumpVersion'] },
        update: { guard: 'mayUpdate', actions: ['applyUpdate', 'bumpVersion'] },
      },
    },
    in_progress: {
      on: {
        submit: [
          { target: 'review', guard: 'maySubmitForReview', actions: 'bumpVersion' },
          { target: 'done', guard: 'maySubmitAsDone', actions: 'bumpVersion' },
        ],
        block: {
          target: 'blocked',
          guard: 'mayBlock',
          actions: [{ type: 'recordBlock', params: { from: 'in_progress' } }, 'bumpVersion'],
        },
        deadman_expire: [
          {
            target: 'blocked',
            guard: 'runtimeAtLastAttempt',
            actions: ['countAttempt', 'recordDeadmanBlock', 'bumpVersion'],
          },
          { target: 'backlog', guard: 'byRuntime', actions: ['countAttempt', 'bumpVersion'] },
        ],
        // SPEC §4 destroyed: the instance's work goes back to the backlog; not the agent's fault,
        // so no attempt is counted (unlike the deadman). The runtime's only, never a move.
        release: { target: 'backlog', guard: 'byRuntime', actions: 'bumpVersion' },
        assign: { guard: 'mayAssign', actions: ['setAssignee', 'bumpVersion'] },
        update: { guard: 'mayUpdate', actions: ['applyUpdate', 'bumpVersion'] },
      },
    },
    review: {
      on: {
        approve: { target: 'done', guard: 'mayApprove', actions: 'bumpVersion' },
        reject: { target: 'in_progress', guard: 'mayReject', actions: 'bumpVersion' },
        block: {
          target: 'blocked',
          guard: 'mayBlock',
          actions: [{ type: 'recordBlock', params: { from: 'review' } }, 'bumpVersion'],
        },
        update: { guard: 'mayUpdate', actions: ['applyUpdate', 'bumpVersion'] },
      },
    },
    done: {
      on: {
        archive: { target: 'archived', guard: 'byHuman', actions: 'bumpVersion' },
        reopen: { target: 'backlog', guard: 'byHuman', actions: 'bumpVersion' },
        update: { guard: 'mayUpdate', actions: ['applyUpdate', 'bumpVersion'] },
      },
    },
    blocked: {
      on: {
        unblock: [
          {
            target: 'backlog',
            guard: { type: 'mayUnblockTo', params: { state: 'backlog' } },
            actions: ['recordHelpAnswer', 'clearBlock', 'bumpVersion'],
          },
          {
            target: 'in_progress',
            guard: { type: 'mayUnblockTo', params: { state: 'in_progress' } },
            actions: ['recordHelpAnswer', 'clearBlock', 'bumpVersion'],
          },
          {
            target: 'review',
            guard: { type: 'mayUnblockTo', params: { state: 'review' } },
            actions: ['recordHelpAnswer', 'clearBlock', 'bumpVersion'],
          },
        ],
        assign: { guard: 'mayAssign', actions: ['setAssignee', 'bumpVersion'] },
        update: { guard: 'mayUpdate', actions: ['applyUpdate', 'bumpVersion'] },
      },
    },
    archived: {
      on: {
        reopen: { target: 'backlog', guard: 'byHuman', actions: 'bumpVersion' },
      },
    },
  },
});

export type TaskMachine = typeof taskMachine;
