import { z } from 'zod';
import { MissionError, parseTaskStatus, SLUG_RE } from '../../core/index.js';
import { commandMethod } from '../registry/command.js';
import { defineMethod, EVERY_MEMBER, type MethodDef, MEMBER_PLUS } from '../registry/method.js';
import { taskEventView, taskView } from '../registry/schemas.js';
import { ownTask, projectOfTask, projectParam } from './scopes.js';

const TASK_ID = /^[a-z0-9][a-z0-9-]{0,39}-[1-9][0-9]{0,9}$/;
const MEMBER_OR_AGENT = [...MEMBER_PLUS, 'agent'] as const;
const ANY_OR_AGENT = [...EVERY_MEMBER, 'agent'] as const;

/** Opaque page cursor: the last task number of the previous page. */
function encodeCursor(n: number): string {
  return Buffer.from(JSON.stringify({ n })).toString('base64url');
}
function decodeCursor(cursor: string): number {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { n?: unknown };
    if (typeof v.n === 'number' && Number.isSafeInteger(v.n) && v.n >= 0) return v.n;
  } catch {
    // fall through to the error below
  }
  throw new MissionError('INVALID_INPUT', 'cursor is not one this server returned', { cursor });
}

/** mission.task.*: the Kanban queue (SPEC §3, §5). */
export const taskMethods: MethodDef[] = [
  commandMethod('task.create', { description: 'Create a task in a project.', roles: MEMBER_OR_AGENT, tool: 'create_task', result: taskView, project: projectParam }),
  commandMethod('task.move', {
    description: 'Move a task to a new status (name, code or PRD spelling); the task machine picks the transition.',
    roles: MEMBER_OR_AGENT,
    tool: 'move_task',
    result: taskView,
    project: projectOfTask,
    agentCheck: ownTask,
  }),
  commandMethod('task.assign', { description: 'Assign or reassign a task (soul id, or null).', roles: MEMBER_OR_AGENT, tool: 'assign_task', result: taskView, project: projectOfTask }),
  commandMethod('task.update', {
    description: 'Update title, description, priority or dependencies (expected_version guards stale writes).',
    roles: MEMBER_OR_AGENT,
    tool: 'update_task',
    result: taskView,
    project: projectOfTask,
  }),
  commandMethod('task.comment', { description: 'Comment on a task (@mentions notify agents).', roles: MEMBER_OR_AGENT, tool: 'comment_task', result: taskView, project: projectOfTask }),
  commandMethod('task.answer_help', {
    description: "Answer an agent's request_help: unblocks the task; the answer reaches the agent on its next pulse.",
    roles: MEMBER_PLUS,
    result: taskView,
    project: projectOfTask,
  }),
  defineMethod({
    name: 'mission.task.get',
    aliases: [],
    description: 'Get a task with its thought stream (latest entries).',
    params: z.object({ task_id: z.string().regex(TASK_ID), events_limit: z.number().int().min(0).max(1000).default(100) }),
    result: z.object({ task: taskView, events: z.array(taskEventView) }),
    roles: ANY_OR_AGENT,
    sideEffect: false,
    tool: 'get_task',
    project: projectOfTask,
    handler: (p, ctx) => {
      const task = ctx.services.queries.getTask(p.task_id);
      if (!task) throw new MissionError('NOT_FOUND', `no task ${p.task_id}`, { task_id: p.task_id });
      return { task, events: p.events_limit > 0 ? ctx.services.queries.taskEvents(p.task_id, p.events_limit) : [] };
    },
  }),
  defineMethod({
    name: 'mission.task.list',
    aliases: [],
    description: 'List tasks of a project, all statuses unless filtered, in pages.',
    params: z.object({
      project_id: z.string().regex(SLUG_RE),
      status: z.array(z.union([z.string().min(1).max(32), z.number().int()])).max(6).optional(),
      assignee_id: z.string().regex(SLUG_RE).optional(),
      limit: z.number().int().min(1).max(5000).default(500),
      cursor: z.string().max(200).optional(),
    }),
    result: z.object({ tasks: z.array(taskView), next_cursor: z.string().nullable() }),
    roles: ANY_OR_AGENT,
    sideEffect: false,
    tool: 'list_tasks',
    project: projectParam,
    handler: (p, ctx) => {
      const { queries } = ctx.services;
      if (!queries.projectExists(p.project_id)) throw new MissionError('NOT_FOUND', `no project ${p.project_id}`, { project_id: p.project_id });
      const page = queries.listTasks({
        project_id: p.project_id,
        limit: p.limit,
        ...(p.status ? { status: p.status.map(parseTaskStatus) } : {}),
        ...(p.assignee_id !== undefined ? { assignee_id: p.assignee_id } : {}),
        ...(p.cursor !== undefined ? { after_n: decodeCursor(p.cursor) } : {}),
      });
      return { tasks: page.tasks, next_cursor: page.next_after === null ? null : encodeCursor(page.next_after) };
    },
  }),
];
