import { MissionError, type By, type CommandParams } from '../../core/index.js';
import type { ResidentActor } from '../host.js';
import { chroniclePlan, learnedPlan } from '../documents.js';
import type { Runtime } from '../runtime.js';
import { applyTaskEvent } from './tasks.js';
import { actingInstanceId, agentContext, agentView, requireInstance, requireProject, requireTask, signOfLife, taskView, type Handler } from './shared.js';

function actingAgent(rt: Runtime, by: By, params: { instance_id?: string | undefined }): ResidentActor {
  const id = actingInstanceId(by, params);
  if (!id) throw new MissionError('INVALID_INPUT', 'instance_id is required when the caller is not an agent', { param: 'instance_id' });
  return requireInstance(rt, id);
}

/** The task a tool call is about: the one named, else the instance's current task. */
function targetTask(rt: Runtime, agent: ResidentActor, taskId: string | undefined): ResidentActor {
  const id = taskId ?? agentContext(rt, agent).current_task_id;
  if (!id) throw new MissionError('INVALID_INPUT', `${agent.id} holds no task; name task_id`, { param: 'task_id' });
  const task = requireTask(rt, id);
  if (task.projectId !== agent.projectId) throw new MissionError('FORBIDDEN', `task ${id} is not in project ${agent.projectId}`);
  return task;
}

/** mission.control.log_event: a thought stream line (task_events) and a sign of life. */
export const logEvent: Handler<CommandParams<'control.log_event'>> = (rt, unit, p, by) => {
  const agent = actingAgent(rt, by, p);
  const task = targetTask(rt, agent, p.task_id);
  rt.host.record(unit, task, rt.host.snapshot(task), { type: 'log_event', by }, 'thought.logged', {
    instance_id: agent.id,
    thought: p.thought,
    action: p.action,
    kind: 'log',
  });
  unit.after.push((repos, seqs) =>
    repos.taskEvents.insert({ projectId: task.projectId, taskId: task.id, instanceId: agent.id, kind: 'log', thought: p.thought, action: p.action, seq: seqs[0] ?? null, at: unit.now }),
  );
  signOfLife(rt, unit, by);
  return { ok: true, task_id: task.id, instance_id: agent.id };
};

/** mission.control.request_help: blocks the task with the issue; the instance stops pulsing. */
export const requestHelp: Handler<CommandParams<'control.request_help'>> = (rt, unit, p, by) => {
  const agent = actingAgent(rt, by, p);
  const task = targetTask(rt, agent, p.task_id);
  const block = { type: 'block' as const, by, reason: p.issue };
  const help = { type: 'help_requested' as const, by, task_id: task.id };
  rt.host.check(task, block);
  rt.host.check(agent, help);
  signOfLife(rt, unit, by);
  applyTaskEvent(rt, unit, task, block, 'task.help_requested', { issue: p.issue, instance_id: agent.id });
  rt.host.apply(unit, agent, help, 'agent.blocked');
  unit.after.push((repos, seqs) =>
    repos.taskEvents.insert({ projectId: task.projectId, taskId: task.id, instanceId: agent.id, kind: 'help', thought: p.issue, action: 'request_help', seq: seqs[0] ?? null, at: unit.now }),
  );
  return { ok: true, task: taskView(rt, task), agent: agentView(rt, agent) };
};

/**
 * mission.control.distill_memory: the `memory.distilled` event, then working.md → learned.md.
 * As for the chronicle, the DB is updated before the files: learned.md catches up with the
 * instance's distilled summaries after the commit (the seq mark keeps a summary from being
 * written twice, and the next start writes one a crash left out), then working.md is archived
 * and reset; the call is answered once that is on disk.
 */
export const distillMemory: Handler<CommandParams<'control.distill_memory'>> = (rt, unit, p, by) => {
  const agent = actingAgent(rt, by, p);
  if (p.summary.trim() === '') throw new MissionError('INVALID_INPUT', 'summary must not be empty', { param: 'summary' });
  const { soul_id, project_id } = agentContext(rt, agent);
  rt.host.record(unit, agent, rt.host.snapshot(agent), { type: 'distill_memory', by }, 'memory.distilled', { summary: p.summary });
  signOfLife(rt, unit, by);
  const opts = { archiveWorkingNotes: p.archive_working_notes ?? true, at: unit.now };
  unit.afterCommit.push(() => rt.files.distillMemory(project_id, soul_id, learnedPlan(rt, project_id, agent.id), opts));
  unit.answerAfterEffects = true;
  return { ok: true };
};

/**
 * mission.control.update_chronicle: the `chronicle.updated` event, then the CHRONICLE.md entry.
 * SPEC §7's single writer updates the DB before the file: after the commit, CHRONICLE.md catches
 * up with the project's chronicle events (in commit order behind the project's earlier effects,
 * atomic write under the file mutex; its seq mark keeps an entry from being written twice, and
 * the next start writes one a crash left out), and the call is answered once the entry is on disk.
 */
export const updateChronicle: Handler<CommandParams<'control.update_chronicle'>> = (rt, unit, p, by) => {
  const agent = actingAgent(rt, by, p);
  if (p.summary.trim() === '') throw new MissionError('INVALID_INPUT', 'summary must not be empty', { param: 'summary' });
  const project = requireProject(rt, agent.projectId);
  rt.host.record(unit, project, rt.host.snapshot(project), { type: 'update_chronicle', by }, 'chronicle.updated', {
    summary: p.summary,
    technical_debt: p.technical_debt ?? null,
    instance_id: agent.id,
  });
  signOfLife(rt, unit, by);
  unit.afterCommit.push(() => rt.files.syncChronicle(agent.projectId, chroniclePlan(rt, agent.projectId)));
  unit.answerAfterEffects = true;
  return { ok: true };
};
