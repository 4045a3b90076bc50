import type { SnapshotFrom } from 'xstate';
import type { AgentState, AgentView } from '../core/index.js';
import type { agentMachine } from './agent.js';

type AgentSnapshot = SnapshotFrom<typeof agentMachine>;

/** The flat AgentState of a snapshot: `active` is shown as its substate (`idle` | `pulsing`). */
export function agentStateOf(snapshot: AgentSnapshot): AgentState {
  const value: unknown = snapshot.value;
  if (typeof value === 'string') {
    if (
      value === 'provisioning' ||
      value === 'blocked' ||
      value === 'paused' ||
      value === 'upgrading' ||
      value === 'expired' ||
      value === 'destroyed'
    ) {
      return value;
    }
  } else if (value !== null && typeof value === 'object' && 'active' in value) {
    const sub = (value as { active: unknown }).active;
    if (sub === 'idle' || sub === 'pulsing') return sub;
  }
  throw new Error(`agent snapshot has no known state: ${JSON.stringify(value)}`);
}

/** What the read model needs beyond machine state (soul facts and runtime placement). */
export interface AgentViewExtras {
  name: string;
  role: string;
  pulse_slot: number;
  driver: string;
}

export function toAgentView(snapshot: AgentSnapshot, extras: AgentViewExtras): AgentView {
  const c = snapshot.context;
  return {
    id: c.id,
    soul_id: c.soul_id,
    project_id: c.project_id,
    name: extras.name,
    role: extras.role,
    state: agentStateOf(snapshot),
    working: c.current_task_id !== null,
    current_task_id: c.current_task_id,
    soul_version: c.soul_version,
    pulse_slot: extras.pulse_slot,
    last_pulse_at: c.last_pulse_at,
    next_pulse_at: c.next_pulse_at,
    last_seen_at: c.last_seen_at,
    deadman_at: c.deadman_at,
    driver: extras.driver,
  };
}
