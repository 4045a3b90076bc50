-- A task's actor snapshot is its `tasks` row: the columns hold the machine's whole context, so
-- a commit writes one row per task instead of the projection row plus an `actor_snapshots` row
-- with the same facts as JSON. `actor_snapshots` keeps agents and projects.
ALTER TABLE tasks ADD COLUMN require_review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 3;
ALTER TABLE tasks ADD COLUMN help_answer TEXT;
ALTER TABLE tasks ADD COLUMN machine_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tasks ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;   -- event seq that produced the row

-- SPEC §3 status codes, for the snapshot view below (core/task-status.ts holds the same table).
CREATE TABLE task_statuses (
  code  INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE
);
INSERT INTO task_statuses (code, name) VALUES
  (0, 'backlog'), (1, 'in_progress'), (2, 'done'), (3, 'blocked'), (4, 'archived'), (5, 'review');

-- Every actor's persisted snapshot in one shape: agents' and projects' rows as stored, each task
-- rebuilt from its row as XState's persisted form (`value` is the status; the machine keeps no
-- history and no children). Done and archived tasks are passive.
CREATE VIEW actor_snapshot_rows AS
SELECT actor_id, project_id, kind, machine_id, machine_version, snapshot, state_value, passive, seq, updated_at, created_at
  FROM actor_snapshots
UNION ALL
SELECT t.id, t.project_id, 'task', 'task', t.machine_version,
       json_object(
         'status', 'active',
         'value', s.name,
         'historyValue', json_object(),
         'context', json_object(
           'id', t.id, 'project_id', t.project_id, 'title', t.title, 'description', t.description,
           'priority', t.priority, 'assignee_id', t.assignee_id, 'depends_on', json(t.depends_on),
           'require_review', json(iif(t.require_review, 'true', 'false')), 'max_attempts', t.max_attempts,
           'attempts', t.attempts, 'blocked_reason', t.blocked_reason, 'blocked_from', b.name,
           'help_answer', t.help_answer, 'version', t.version),
         'children', json_object()),
       json_quote(s.name), t.status IN (2, 4), t.seq, t.updated_at, t.created_at
  FROM tasks t
  JOIN task_statuses s ON s.code = t.status
  LEFT JOIN task_statuses b ON b.code = t.blocked_from;

-- The columns only the snapshots held, then the task snapshots themselves.
UPDATE tasks SET
  require_review = coalesce(json_extract(a.snapshot, '$.context.require_review'), 0),
  max_attempts = coalesce(json_extract(a.snapshot, '$.context.max_attempts'), 3),
  help_answer = json_extract(a.snapshot, '$.context.help_answer'),
  machine_version = a.machine_version,
  seq = a.seq
FROM actor_snapshots a
WHERE a.actor_id = tasks.id AND a.kind = 'task';
DELETE FROM actor_snapshots WHERE kind = 'task';
