export { Runtime, createRuntime, DEFAULT_PROJECT_SETTINGS, DEFAULT_LIMITS, type RuntimeOptions, type RuntimeLimits, type RuntimeLogger } from './runtime.js';
export { ActorHost, type ResidentActor, type RestoreReport } from './host.js';
export { GroupCommitter, DEFAULT_GROUP_COMMIT, type GroupCommitOptions } from './group-commit.js';
export { CommitUnit } from './unit.js';
export { PulseScheduler } from './scheduler.js';
export { DeadlineTimers } from './deadlines.js';
export { hashSlot, staggerSlot, nextPulseAt, followingPulseAt } from './stagger.js';
export { defaultMentions, minimalPulsePrompt, type ProjectFiles, type PulsePromptState } from './files.js';
export type { ActorKindSpec, ActorMeta, ActorView } from './kind.js';
