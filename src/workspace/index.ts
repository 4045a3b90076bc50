/** The project workspace (SPEC §6–§7): file jail, file mutex, single-writer documents, memory, pulse prompt. */
export { Workspace, type WorkspaceOptions } from './workspace.js';
export { FileMutex, LockTimeoutError, lockFileOf, type FileMutexOptions } from './mutex.js';
export { atomicWrite, durableAppend, sweepTemporaries } from './atomic-write.js';
export { canonicalSegments, resolveInScope, DEFAULT_JAIL_LIMITS, type JailLimits, type ResolvedPath } from './jail.js';
export { checkAccess, SERVER_OWNED_FILES, type FileActor, type FileAccess } from './access.js';
export type { FileEntry, FileRead, FileWritten, WriteOptions } from './scoped-fs.js';
export { renderKanban, escapeKanbanText, KANBAN_COLUMNS, type KanbanCard } from './kanban.js';
export { renderChronicleEntry, renderDailyEntry, type ChronicleEntry, type DailyEntry } from './chronicle.js';
export { isDocName, type DocInfo } from './docs.js';
export type { AgentMemory, DistillResult } from './memory.js';
export { contentVersion, dailyFileName } from './layout.js';
export { parseMentions, messageRecipients, commentFanout, assignmentSubscription, ALL, type Recipient, type ThreadFanout, type SubscriptionReason } from './mentions.js';
export { buildPulsePrompt, readPromptNotifications, truncateWithMarker, PULSE_HEADER, PULSE_INSTRUCTION, DEFAULT_PULSE_PROMPT_BYTES, type PulseState, type PulseNote, type PulseTaskEvent, type PulsePromptOptions } from './pulse-prompt.js';
export { DISTILL_NOTIFICATION_KIND, distillRequestBody, distillRequestsIn } from './distill-request.js';
export { loadPulseState, learnedExcerpt, splitNotifications, type LoadedPulseState } from './pulse-state.js';
export { createProjectFiles, type WorkspaceProjectFiles, type RuntimePulseState, type ProjectFilesOptions } from './project-files.js';
export { composeLeadBrief, loadLeadBrief, leadBriefFrom, renderLeadBrief, LEAD_INSTRUCTION, type LeadBrief, type LeadBriefMember, type LeadBriefTask } from './lead-brief.js';
