import { DISTILL_NOTIFICATION_KIND, distillRequestBody } from '../../workspace/index.js';
import type { ResidentActor } from '../host.js';
import type { Runtime } from '../runtime.js';
import type { CommitUnit } from '../unit.js';
import { liveInstance, taskContext } from './shared.js';

/**
 * A task reaching `done` (submit without review, approve, or the same events sent from the
 * inspector) asks its assignee's instance to distill on its next pulse (SPEC §6). The
 * notification is written in the commit of the move, so a done task never lacks its request.
 */
export function askAssigneeToDistill(rt: Runtime, unit: CommitUnit, task: ResidentActor, statusBefore: unknown): void {
  if (statusBefore === 'done' || rt.host.snapshot(task).value !== 'done') return;
  const ctx = taskContext(rt, task);
  const agent = ctx.assignee_id ? liveInstance(rt, ctx.assignee_id, ctx.project_id) : undefined;
  if (!agent) return;
  const body = distillRequestBody(ctx);
  unit.after.push((repos) =>
    repos.messages.notify({ projectId: ctx.project_id, recipient: agent.id, kind: DISTILL_NOTIFICATION_KIND, messageId: null, taskId: ctx.id, body, at: unit.now }),
  );
}
