import { assignmentSubscription, commentFanout, parseMentions } from '../../workspace/index.js';
import { MissionError, instanceId, parseTaskId, parseTaskStatus, taskId as makeTaskId, type CommandParams, type TaskView } from '../../core/index.js';
import { allowedTargets, moveEvent, resolveMove, type ProjectContext, type TaskEvent, type TaskSnapshot } from '../../machines/index.js';
import type { ResidentActor } from '../host.js';
import type { Runtime } from '../runtime.js';
import type { CommitUnit } from '../unit.js';
import { askAssigneeToDistill } from './distill-on-done.js';
import { liveInstance, liveSouls, requireProject, requireTask, signOfLife, syncHolder, taskContext, taskView, type Handler } from './shared.js';

function checkDependencies(rt: Runtime, projectId: string, dependsOn: readonly string[], self?: string): void {
  for (const dep of dependsOn) {
    if (dep === self) throw new MissionError('INVALID_INPUT', 'a task cannot depend on itself', { depends_on: dep });
    if (parseTaskId(dep).projectId !== projectId) throw new MissionError('INVALID_INPUT', `dependency ${dep} is in another project`, { depends_on: dep });
    if (!rt.repos.tasks.status(dep) && !rt.host.isResident(dep)) throw new MissionError('NOT_FOUND', `dependency ${dep} does not exist`, { depends_on: dep });
  }
}

function checkAssignee(rt: Runtime, projectId: string, assignee: string | null | undefined): void {
  if (assignee && !liveInstance(rt, assignee, projectId)) {
    throw new MissionError('NOT_FOUND', `${assignee} has no live instance in project ${projectId}`, { assignee_id: assignee });
  }
}

/** Being assigned a task subscribes the assignee's instance to its thread. */
function subscribeAssignee(unit: CommitUnit, projectId: string, taskId: string, assignee: string | null): void {
  const subs = assignmentSubscription(assignee ? instanceId(assignee, projectId) : null);
  if (subs.length > 0) unit.after.push((repos) => subs.forEach((s) => repos.subscriptions.subscribe(taskId, s.subscriber, s.reason, unit.now)));
}

/** mission.task.create: the project actor numbers it; the task actor starts in the backlog. */
export const createTask: Handler<CommandParams<'task.create'>> = (rt, unit, p, by) => {
  const project = requireProject(rt, p.project_id);
  const numbered = { type: 'task_created' as const, by };
  rt.host.check(project, numbered);
  // Ids are never reused, so the counter is the number of tasks the project ever had.
  if ((rt.host.snapshot(project).context as ProjectContext).task_counter + 1 > rt.limits.max_tasks_per_project) {
    throw new MissionError('LIMIT_EXCEEDED', `a project holds at most ${rt.limits.max_tasks_per_project} tasks`, {
      limit: 'max_tasks_per_project',
      max: rt.limits.max_tasks_per_project,
    });
  }
  const dependsOn = [...new Set(p.depends_on ?? [])];
  checkDependencies(rt, p.project_id, dependsOn);
  checkAssignee(rt, p.project_id, p.assignee_id);
  rt.host.apply(unit, project, numbered, null);
  const ctx = rt.host.snapshot(project).context as ProjectContext;
  const id = makeTaskId(p.project_id, ctx.task_counter);
  const task = rt.host.spawn(unit, 'task', id, p.project_id, {
    id,
    project_id: p.project_id,
    title: p.title,
    description: p.description ?? '',
    priority: p.priority ?? 3,
    assignee_id: p.assignee_id ?? null,
    depends_on: dependsOn,
    require_review: ctx.settings.require_review,
    max_attempts: ctx.settings.max_attempts,
  }, { counted: true });
  rt.host.record(unit, task, rt.host.snapshot(task), { type: 'create', by }, 'task.created');
  subscribeAssignee(unit, p.project_id, id, p.assignee_id ?? null);
  signOfLife(rt, unit, by);
  return taskView(rt, task);
};

function refuseMove(rt: Runtime, task: ResidentActor, target: string, by: Parameters<typeof allowedTargets>[1], depsDone: boolean): never {
  const snap = rt.host.snapshot(task) as TaskSnapshot;
  throw new MissionError('ILLEGAL_TRANSITION', `task ${task.id} cannot move from ${String(snap.value)} to ${target}`, {
    actor_id: task.id,
    state: snap.value,
    target,
    allowed: allowedTargets(snap, by, { deps_done: depsDone }),
  });
}

/** Applies one task event with the assignee's instance kept in step (and asked to distill at done). */
export function applyTaskEvent(rt: Runtime, unit: CommitUnit, task: ResidentActor, event: TaskEvent, type: string, detail?: Record<string, unknown>): TaskView {
  const before = taskContext(rt, task).assignee_id;
  const statusBefore = rt.host.snapshot(task).value;
  rt.host.apply(unit, task, event, type, detail);
  syncHolder(rt, unit, task, before);
  askAssigneeToDistill(rt, unit, task, statusBefore);
  return taskView(rt, task);
}

/** mission.task.move: the machine picks the transition from the current state (SPEC §3). */
export const moveTask: Handler<CommandParams<'task.move'>> = (rt, unit, p, by) => {
  const task = requireTask(rt, p.task_id);
  const target = parseTaskStatus(p.new_status);
  const snap = rt.host.snapshot(task) as TaskSnapshot;
  const depsDone = rt.depsDone(snap.context.depends_on);
  const type = resolveMove(snap, target);
  if (type === null) refuseMove(rt, task, target, by, depsDone);
  const event = moveEvent(type, by, { deps_done: depsDone, ...(p.reason !== undefined ? { reason: p.reason } : {}) });
  if (!rt.host.can(task, event)) refuseMove(rt, task, target, by, depsDone);
  const view = applyTaskEvent(rt, unit, task, event, type === 'deadman_expire' ? 'task.deadman_expired' : 'task.moved', p.reason ? { reason: p.reason } : undefined);
  signOfLife(rt, unit, by);
  return view;
};

export const assignTask: Handler<CommandParams<'task.assign'>> = (rt, unit, p, by) => {
  const task = requireTask(rt, p.task_id);
  checkAssignee(rt, task.projectId, p.assignee_id);
  const event = { type: 'assign' as const, by, assignee_id: p.assignee_id };
  rt.host.check(task, event);
  const view = applyTaskEvent(rt, unit, task, event, 'task.assigned');
  subscribeAssignee(unit, task.projectId, task.id, p.assignee_id);
  signOfLife(rt, unit, by);
  return view;
};

/** mission.task.update: `expected_version` makes it a compare-and-set (CONFLICT when stale). */
export const updateTask: Handler<CommandParams<'task.update'>> = (rt, unit, p, by) => {
  const task = requireTask(rt, p.task_id);
  const ctx = taskContext(rt, task);
  if (p.expected_version !== undefined && p.expected_version !== ctx.version) {
    throw new MissionError('CONFLICT', `task ${task.id} is at version ${ctx.version}, not ${p.expected_version}`, { version: ctx.version });
  }
  if (p.depends_on) checkDependencies(rt, task.projectId, p.depends_on, task.id);
  const event: TaskEvent = {
    type: 'update',
    by,
    ...(p.title !== undefined ? { title: p.title } : {}),
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(p.priority !== undefined ? { priority: p.priority } : {}),
    ...(p.depends_on !== undefined ? { depends_on: [...new Set(p.depends_on)] } : {}),
  };
  rt.host.check(task, event);
  rt.host.apply(unit, task, event, 'task.updated');
  signOfLife(rt, unit, by);
  return taskView(rt, task);
};

function authorOf(by: Parameters<typeof signOfLife>[2]): { kind: 'user' | 'agent' | 'system'; id: string; instance: string | null } {
  if (by.kind === 'human') return { kind: 'user', id: by.username, instance: null };
  if (by.kind === 'agent') return { kind: 'agent', id: by.instanceId, instance: by.instanceId };
  return { kind: 'system', id: 'runtime', instance: null };
}

/**
 * mission.task.comment: a thread message and a Live Terminal line. Commenting subscribes the
 * author, a mention subscribes the mentioned, the assignee is subscribed by assignment; every
 * other subscribed instance is notified on its next pulse (workspace `commentFanout`).
 */
export const commentTask: Handler<CommandParams<'task.comment'>> = (rt, unit, p, by) => {
  const task = requireTask(rt, p.task_id);
  const ctx = taskContext(rt, task);
  const author = authorOf(by);
  const souls = liveSouls(rt, ctx.project_id);
  const authorSoul = by.kind === 'agent' ? by.soulId : null;
  const mentions = parseMentions(p.text, souls, { author: authorSoul });
  const subscriber = by.kind === 'human' ? `user:${by.userId}` : by.kind === 'agent' ? by.instanceId : 'runtime';
  const assignee = ctx.assignee_id && souls.includes(ctx.assignee_id) ? instanceId(ctx.assignee_id, ctx.project_id) : null;
  const live = new Set(souls.map((s) => instanceId(s, ctx.project_id)));
  rt.host.record(unit, task, rt.host.snapshot(task), { type: 'comment', by }, 'task.commented', { text: p.text, author: author.id, mentions });
  unit.inTransaction.push((repos, seqs) => {
    const messageId = repos.messages.insert({ projectId: ctx.project_id, taskId: ctx.id, authorKind: author.kind, authorId: author.id, to: null, text: p.text, mentions, at: unit.now });
    repos.taskEvents.insert({ projectId: ctx.project_id, taskId: ctx.id, instanceId: author.instance, kind: 'comment', thought: p.text, action: 'comment', seq: seqs[0] ?? null, at: unit.now });
    for (const s of assignmentSubscription(assignee)) repos.subscriptions.subscribe(ctx.id, s.subscriber, s.reason, unit.now);
    const fanout = commentFanout({
      author: subscriber,
      mentioned: mentions.map((soul) => instanceId(soul, ctx.project_id)),
      subscribers: repos.subscriptions.subscribers(ctx.id).map((r) => r.subscriber),
    });
    for (const s of fanout.subscribe) if (s.subscriber !== 'runtime') repos.subscriptions.subscribe(ctx.id, s.subscriber, s.reason, unit.now);
    for (const n of fanout.notify) {
      if (!live.has(n.recipient)) continue;
      repos.messages.notify({ projectId: ctx.project_id, recipient: n.recipient, kind: n.kind, messageId, taskId: ctx.id, body: `${author.id} on ${ctx.id}: ${p.text}`, at: unit.now });
    }
  });
  signOfLife(rt, unit, by);
  return taskView(rt, task);
};

/** mission.task.answer_help: unblocks the task; the answer reaches the agent on its next pulse. */
export const answerHelp: Handler<CommandParams<'task.answer_help'>> = (rt, unit, p, by) => {
  const task = requireTask(rt, p.task_id);
  const ctx = taskContext(rt, task);
  const unblock = { type: 'unblock' as const, by, answer: p.answer };
  rt.host.check(task, unblock, () => allowedTargets(rt.host.snapshot(task) as TaskSnapshot, by, { deps_done: rt.depsDone(ctx.depends_on) }));
  const agent = ctx.assignee_id ? liveInstance(rt, ctx.assignee_id, ctx.project_id) : undefined;
  const view = applyTaskEvent(rt, unit, task, unblock, 'task.help_answered', { answer: p.answer });
  const answered = { type: 'help_answered' as const, by: rt.runtimeBy, task_id: ctx.id };
  if (agent && rt.host.can(agent, answered)) rt.host.apply(unit, agent, answered, 'agent.unblocked');
  const author = authorOf(by);
  unit.after.push((repos, seqs) => {
    repos.taskEvents.insert({ projectId: ctx.project_id, taskId: ctx.id, instanceId: null, kind: 'answer', thought: p.answer, action: 'answer_help', seq: seqs[0] ?? null, at: unit.now });
    if (agent) repos.messages.notify({ projectId: ctx.project_id, recipient: agent.id, kind: 'help_answer', messageId: null, taskId: ctx.id, body: `${author.id} answered your help request on ${ctx.id}: ${p.answer}`, at: unit.now });
  });
  return view;
};
