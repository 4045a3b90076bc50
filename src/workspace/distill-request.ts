import { readPromptNotifications } from './pulse-prompt.js';

/**
 * SPEC §6: when a task reaches `done`, its agent moves what matters from working.md into
 * learned.md with `distill_memory`. The runtime asks it to through a notification of this kind,
 * delivered in the `[NOTIFICATIONS]` section of the agent's next pulse prompt.
 */
export const DISTILL_NOTIFICATION_KIND = 'distill';

/** The notification's text: which task finished and what the agent is asked to do about it. */
export function distillRequestBody(task: { id: string; title: string }): string {
  return `${task.id} "${task.title}" is done: call distill_memory with what it taught you, so working.md moves into learned.md.`;
}

/** Ids of the finished tasks a pulse prompt asks its agent to distill, oldest first, once each. */
export function distillRequestsIn(prompt: string): string[] {
  const ids: string[] = [];
  for (const note of readPromptNotifications(prompt)) {
    if (note.kind === DISTILL_NOTIFICATION_KIND && note.task_id !== null && !ids.includes(note.task_id)) ids.push(note.task_id);
  }
  return ids;
}
