import type { TaskStatusName } from '@core/task-status.ts';

/** Board columns in reading order (Archive is shown on demand). */
export const BOARD_COLUMNS: readonly TaskStatusName[] = ['backlog', 'in_progress', 'review', 'blocked', 'done'];
export const ARCHIVE_COLUMN: TaskStatusName = 'archived';
