-- Task snapshots back into `actor_snapshots` (as the view renders them), then the columns go.
INSERT INTO actor_snapshots (actor_id, project_id, kind, machine_id, machine_version, snapshot, state_value, passive, seq, updated_at, created_at)
SELECT actor_id, project_id, kind, machine_id, machine_version, snapshot, state_value, passive, seq, updated_at, created_at
  FROM actor_snapshot_rows WHERE kind = 'task';
DROP VIEW actor_snapshot_rows;
DROP TABLE task_statuses;
ALTER TABLE tasks DROP COLUMN seq;
ALTER TABLE tasks DROP COLUMN machine_version;
ALTER TABLE tasks DROP COLUMN help_answer;
ALTER TABLE tasks DROP COLUMN max_attempts;
ALTER TABLE tasks DROP COLUMN require_review;
