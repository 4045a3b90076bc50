import type { By } from '../core/index.js';

/**
 * Who may take a transition: the predicates machine guards are built from. The gateway already
 * checks roles per method; guards check again (defence in depth), so a `viewer` or an agent of
 * another project is refused here too.
 */

/** A human who may change things in the project: admin, owner or member (never a viewer). */
export function isHumanWriter(by: By): boolean {
  return by.kind === 'human' && by.role !== 'viewer';
}

/** An operator of the project's agents: admin or owner (SPEC §5 `mission.agent.*`: owner+). */
export function isOperator(by: By): boolean {
  return by.kind === 'human' && (by.role === 'admin' || by.role === 'owner');
}

export function isRuntime(by: By): boolean {
  return by.kind === 'runtime';
}

/** An agent instance of this project (`<soul_id>:<project_id>`), whatever its soul. */
export function isAgentOf(by: By, projectId: string): boolean {
  return by.kind === 'agent' && by.instanceId === `${by.soulId}:${projectId}`;
}

/** The agent instance of this project whose soul is the task's assignee. */
export function isAssigneeAgent(by: By, assigneeId: string | null, projectId: string): boolean {
  return assigneeId !== null && isAgentOf(by, projectId) && by.kind === 'agent' && by.soulId === assigneeId;
}

/** The project's lead agent (a soul with role 'lead', instantiated in this project). */
export function isLeadOf(by: By, projectId: string): boolean {
  return isAgentOf(by, projectId) && by.kind === 'agent' && by.isLead;
}

/** The agent instance itself (its own tool calls and syncs). */
export function isSelf(by: By, instanceId: string): boolean {
  return by.kind === 'agent' && by.instanceId === instanceId;
}
