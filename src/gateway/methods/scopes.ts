import { MissionError, parseInstanceId, parseTaskId } from '../../core/index.js';
import type { ActingAgent, Services } from '../registry/method.js';

/** How methods name their project (SPEC §2: task ids and instance ids both carry it). */
export const projectOfTask = (p: { task_id: string }): string => parseTaskId(p.task_id).projectId;
export const projectOfInstance = (p: { instance_id: string }): string => parseInstanceId(p.instance_id).projectId;
export const projectParam = (p: { project_id: string }): string => p.project_id;
/** Agent tools whose task defaults to the agent's current one: the agent's own project. */
export const projectOfOptionalTask = (p: { task_id?: string | undefined }): string | undefined =>
  p.task_id === undefined ? undefined : parseTaskId(p.task_id).projectId;
export const noProject = (): null => null;

/**
 * SPEC §5: an agent moves only its own tasks. SPEC §3: the project's lead also reviews, so it may
 * move a task that is in `review` (the task machine still refuses the lead approving its own work).
 */
export function ownTask(p: { task_id: string }, agent: ActingAgent, services: Services): void {
  const task = services.queries.getTask(p.task_id);
  if (!task) throw new MissionError('NOT_FOUND', `no task ${p.task_id}`, { task_id: p.task_id });
  if (agent.isLead && task.status === 'review') return;
  if (task.assignee_id !== agent.soulId) {
    throw new MissionError('FORBIDDEN', 'an agent may only move tasks assigned to it', { task_id: p.task_id, assignee_id: task.assignee_id });
  }
}
