import type { TaskView } from '../../src/core/index.js';

/**
 * A task's view for a test that needs one without a runtime: a new backlog task, unassigned, at
 * version 1, created at time 0; `fields` gives its id and project and whatever the test is about.
 */
export function taskViewOf({ id, project_id, ...fields }: Pick<TaskView, 'id' | 'project_id'> & Partial<TaskView>): TaskView {
  return {
    id,
    project_id,
    title: `title of ${id}`,
    description: '',
    status: 'backlog',
    status_code: 0,
    priority: 3,
    assignee_id: null,
    depends_on: [],
    version: 1,
    blocked_reason: null,
    blocked_from: null,
    attempts: 0,
    created_at: 0,
    updated_at: 0,
    ...fields,
  };
}
