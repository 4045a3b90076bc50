export {
  taskMachine,
  MACHINE_ID as TASK_MACHINE_ID,
  MACHINE_VERSION as TASK_MACHINE_VERSION,
  DEADMAN_REASON,
  type TaskMachine,
  type TaskInput,
  type TaskContext,
  type TaskEvent,
  type TaskEventType,
} from './task.js';
export {
  resolveMove,
  allowedTargets,
  moveEvent,
  type TaskSnapshot,
  type MoveOptions,
} from './resolve-move.js';
export { taskStatusOf, taskViewChanges, toTaskView } from './task-view.js';
export {
  agentMachine,
  MACHINE_ID as AGENT_MACHINE_ID,
  MACHINE_VERSION as AGENT_MACHINE_VERSION,
  type AgentMachine,
  type AgentInput,
  type AgentContext,
  type AgentEvent,
  type AgentEventType,
  type AgentStatusReport,
  type PulseOutcomeName,
  type UpgradeReturn,
} from './agent.js';
export { agentStateOf, toAgentView, type AgentViewExtras } from './agent-view.js';
export {
  projectMachine,
  MACHINE_ID as PROJECT_MACHINE_ID,
  MACHINE_VERSION as PROJECT_MACHINE_VERSION,
  type ProjectMachine,
  type ProjectInput,
  type ProjectContext,
  type ProjectEvent,
  type ProjectEventType,
  type ProjectEmitted,
} from './project.js';
export {
  migrateSnapshot,
  isRestorable,
  SNAPSHOT_MIGRATIONS,
  type PersistedSnapshotJson,
} from './migrate-snapshot.js';
