DROP INDEX tasks_assignee;
CREATE INDEX tasks_board ON tasks(project_id, status, priority, n);
CREATE INDEX tasks_assignee ON tasks(project_id, assignee_id, status);
