import {
  agentMachine,
  AGENT_MACHINE_ID,
  AGENT_MACHINE_VERSION,
  projectMachine,
  PROJECT_MACHINE_ID,
  PROJECT_MACHINE_VERSION,
  taskMachine,
  TASK_MACHINE_ID,
  TASK_MACHINE_VERSION,
} from '../../machines/index.js';
import type { MachineCatalog } from '../deps.js';

/** The machines `mission.inspect.machine` describes (definition JSON via XState's `toJSON`). */
export function defaultMachines(): MachineCatalog {
  return {
    task: { id: TASK_MACHINE_ID, version: TASK_MACHINE_VERSION, toJSON: () => taskMachine.toJSON() },
    agent: { id: AGENT_MACHINE_ID, version: AGENT_MACHINE_VERSION, toJSON: () => agentMachine.toJSON() },
    project: { id: PROJECT_MACHINE_ID, version: PROJECT_MACHINE_VERSION, toJSON: () => projectMachine.toJSON() },
  };
}
