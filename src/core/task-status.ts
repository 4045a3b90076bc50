import { MissionError } from './errors.js';

/** SPEC §3: the one table of task status codes, names and accepted PRD spellings. */
export const TASK_STATUSES = [
  { code: 0, name: 'backlog', aliases: ['Backlog', 'To-Do'] },
  { code: 1, name: 'in_progress', aliases: ['In-Progress'] },
  { code: 2, name: 'done', aliases: ['Done'] },
  { code: 3, name: 'blocked', aliases: ['Blocked'] },
  { code: 4, name: 'archived', aliases: ['Archive'] },
  { code: 5, name: 'review', aliases: [] },
] as const;

export type TaskStatusName = (typeof TASK_STATUSES)[number]['name'];
export type TaskStatusCode = (typeof TASK_STATUSES)[number]['code'];

export const TASK_STATUS_NAMES: readonly TaskStatusName[] = TASK_STATUSES.map((s) => s.name);

export function statusCode(name: TaskStatusName): TaskStatusCode {
  return TASK_STATUSES.find((s) => s.name === name)!.code;
}

export function statusName(code: number): TaskStatusName {
  const found = TASK_STATUSES.find((s) => s.code === code);
  if (!found) throw new MissionError('INVALID_INPUT', `unknown task status code ${code}`);
  return found.name;
}

/** Accepts a name, a code (number or numeric string) or a PRD spelling. */
export function parseTaskStatus(input: string | number): TaskStatusName {
  const asText = String(input).trim();
  for (const s of TASK_STATUSES) {
    if (asText === s.name || asText === String(s.code) || (s.aliases as readonly string[]).includes(asText)) {
      return s.name;
    }
  }
  throw new MissionError('INVALID_INPUT', `unknown task status ${JSON.stringify(input)}`, {
    allowed: TASK_STATUSES.map((s) => s.name),
  });
}
