-- Mission Control initial schema (SPEC §2–§9). Times are epoch milliseconds.

CREATE TABLE projects (
  id            TEXT PRIMARY KEY,                 -- slug
  name          TEXT NOT NULL,
  settings      TEXT NOT NULL DEFAULT '{}',       -- JSON: per-project overrides (pulse_interval, …)
  task_counter  INTEGER NOT NULL DEFAULT 0,       -- last n used in <project_id>-<n>
  last_seq      INTEGER NOT NULL DEFAULT 0,       -- last event seq of this project
  archived_at   INTEGER,
  deleted_at    INTEGER,                          -- ids are never reused: deleted rows stay
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

CREATE TABLE souls (
  id               TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  role             TEXT NOT NULL DEFAULT 'agent',  -- 'lead' marks a project's lead
  skills           TEXT NOT NULL DEFAULT '[]',     -- JSON array of strings
  settings         TEXT NOT NULL DEFAULT '{}',     -- JSON: per-soul driver etc.
  current_version  INTEGER NOT NULL DEFAULT 1,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);

CREATE TABLE soul_versions (
  soul_id       TEXT NOT NULL REFERENCES souls(id),
  version       INTEGER NOT NULL,
  soul_md       TEXT NOT NULL,
  content_hash  TEXT NOT NULL,                    -- sha256 of soul_md
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (soul_id, version)
);

CREATE TABLE agent_instances (
  id               TEXT PRIMARY KEY,              -- <soul_id>:<project_id>
  project_id       TEXT NOT NULL REFERENCES projects(id),
  soul_id          TEXT NOT NULL REFERENCES souls(id),
  state            TEXT NOT NULL,                 -- AgentState
  working          INTEGER NOT NULL DEFAULT 0,
  soul_version     INTEGER NOT NULL,
  pulse_slot       INTEGER NOT NULL,              -- seconds into each pulse interval, fixed at creation
  last_pulse_at    INTEGER,
  next_pulse_at    INTEGER,
  last_seen_at     INTEGER,
  deadman_at       INTEGER,
  current_task_id  TEXT,
  pgid             INTEGER,                       -- process group of a command-driven agent
  driver           TEXT NOT NULL DEFAULT 'simulated',
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  destroyed_at     INTEGER,
  UNIQUE (project_id, soul_id)
);
CREATE INDEX agent_instances_project ON agent_instances(project_id, state);
CREATE INDEX agent_instances_due ON agent_instances(next_pulse_at) WHERE next_pulse_at IS NOT NULL;

CREATE TABLE tasks (
  id              TEXT PRIMARY KEY,               -- <project_id>-<n>
  project_id      TEXT NOT NULL REFERENCES projects(id),
  n               INTEGER NOT NULL,
  title           TEXT NOT NULL,
  description     TEXT NOT NULL DEFAULT '',
  status          INTEGER NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 5),  -- SPEC §3 codes
  priority        INTEGER NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  assignee_id     TEXT,                           -- soul id
  depends_on      TEXT NOT NULL DEFAULT '[]',     -- JSON array of task ids
  version         INTEGER NOT NULL DEFAULT 1,
  blocked_reason  TEXT,
  blocked_from    INTEGER CHECK (blocked_from IS NULL OR blocked_from BETWEEN 0 AND 5),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_by      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  started_at      INTEGER,
  completed_at    INTEGER,
  UNIQUE (project_id, n)
);
CREATE INDEX tasks_board ON tasks(project_id, status, priority, n);
CREATE INDEX tasks_assignee ON tasks(project_id, assignee_id, status);

-- The thought stream (log_event) and other per-task entries shown in the Live Terminal.
CREATE TABLE task_events (
  id           INTEGER PRIMARY KEY,
  project_id   TEXT NOT NULL REFERENCES projects(id),
  task_id      TEXT NOT NULL REFERENCES tasks(id),
  instance_id  TEXT,
  kind         TEXT NOT NULL DEFAULT 'log' CHECK (kind IN ('log', 'help', 'answer', 'comment', 'system')),
  thought      TEXT NOT NULL DEFAULT '',
  action       TEXT NOT NULL DEFAULT '',
  seq          INTEGER,                           -- the project event that recorded it
  created_at   INTEGER NOT NULL
);
CREATE INDEX task_events_task ON task_events(task_id, id);

CREATE TABLE messages (
  id           INTEGER PRIMARY KEY,
  project_id   TEXT NOT NULL REFERENCES projects(id),
  task_id      TEXT REFERENCES tasks(id),         -- thread; NULL for direct messages
  author_kind  TEXT NOT NULL CHECK (author_kind IN ('user', 'agent', 'system')),
  author_id    TEXT NOT NULL,                     -- username or instance id
  to_id        TEXT,                              -- soul id, '@all', or NULL for a task comment
  text         TEXT NOT NULL,
  mentions     TEXT NOT NULL DEFAULT '[]',        -- JSON array of soul ids
  created_at   INTEGER NOT NULL
);
CREATE INDEX messages_thread ON messages(task_id, id);
CREATE INDEX messages_project ON messages(project_id, id);

CREATE TABLE subscriptions (
  task_id      TEXT NOT NULL REFERENCES tasks(id),
  subscriber   TEXT NOT NULL,                     -- instance id or 'user:<id>'
  reason       TEXT NOT NULL CHECK (reason IN ('commented', 'assigned', 'mentioned', 'created')),
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (task_id, subscriber)
);

CREATE TABLE notifications (
  id            INTEGER PRIMARY KEY,
  project_id    TEXT NOT NULL REFERENCES projects(id),
  recipient     TEXT NOT NULL,                    -- instance id
  kind          TEXT NOT NULL,                    -- 'message', 'mention', 'help_answer', 'distill', …
  message_id    INTEGER REFERENCES messages(id),
  task_id       TEXT,
  body          TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  delivered_at  INTEGER
);
CREATE INDEX notifications_pending ON notifications(recipient, delivered_at, id);

-- The per-project event log: the feed's source and the inspector's history. A rowid table
-- (rows are appended in rowid order) with a unique (project_id, seq) index: large payloads
-- stay out of the index B-trees, which WITHOUT ROWID would copy them into.
CREATE TABLE events (
  project_id       TEXT NOT NULL,
  seq              INTEGER NOT NULL,
  ts               INTEGER NOT NULL,
  type             TEXT NOT NULL,
  actor_kind       TEXT NOT NULL CHECK (actor_kind IN ('task', 'agent', 'project')),
  actor_id         TEXT NOT NULL,
  payload          TEXT NOT NULL,                 -- JSON EventPayload
  idempotency_key  TEXT
);
CREATE UNIQUE INDEX events_project_seq ON events(project_id, seq);
CREATE INDEX events_actor ON events(actor_id, seq);

-- First answers of side-effecting calls, by (credential, key): a repeated key returns it.
CREATE TABLE idempotency_keys (
  principal_key  TEXT NOT NULL,
  key            TEXT NOT NULL,
  command        TEXT NOT NULL,
  response       TEXT NOT NULL,                   -- JSON {ok, result} or {ok:false, error}
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (principal_key, key)
) WITHOUT ROWID;

CREATE TABLE actor_snapshots (
  actor_id         TEXT PRIMARY KEY,
  project_id       TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('task', 'agent', 'project')),
  machine_id       TEXT NOT NULL,
  machine_version  INTEGER NOT NULL,
  snapshot         TEXT NOT NULL,                 -- JSON of actor.getPersistedSnapshot()
  state_value      TEXT NOT NULL,                 -- JSON of snapshot.value, for queries
  passive          INTEGER NOT NULL DEFAULT 0,    -- 1: not resident until needed (done/archived tasks)
  seq              INTEGER NOT NULL,              -- event seq that produced it
  updated_at       INTEGER NOT NULL,
  created_at       INTEGER NOT NULL DEFAULT 0     -- when the actor was created (machines have no clock)
);
CREATE INDEX actor_snapshots_resident ON actor_snapshots(passive, project_id);

CREATE TABLE pulses (
  id             TEXT PRIMARY KEY,                -- pulse_id sent to the agent
  project_id     TEXT NOT NULL,
  instance_id    TEXT NOT NULL,
  scheduled_for  INTEGER NOT NULL,
  started_at     INTEGER,
  finished_at    INTEGER,
  status         TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'ok', 'failed', 'timeout', 'aborted', 'skipped')),
  attempt        INTEGER NOT NULL DEFAULT 1,
  error          TEXT
);
CREATE INDEX pulses_instance ON pulses(instance_id, scheduled_for);

CREATE TABLE users (
  id             INTEGER PRIMARY KEY,
  username       TEXT NOT NULL UNIQUE,
  password_hash  TEXT NOT NULL,                   -- scrypt$N$r$p$salt$hash
  is_admin       INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  disabled_at    INTEGER
);

CREATE TABLE memberships (
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  project_id  TEXT NOT NULL REFERENCES projects(id),
  role        TEXT NOT NULL CHECK (role IN ('owner', 'member', 'viewer')),
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (user_id, project_id)
);

-- Every credential: user API tokens, UI sessions, instance tokens, per-pulse tokens, drivers.
CREATE TABLE api_tokens (
  id            INTEGER PRIMARY KEY,
  token_hash    TEXT NOT NULL UNIQUE,             -- hex sha256 of the token; the token is never stored
  kind          TEXT NOT NULL CHECK (kind IN ('user', 'session', 'instance', 'pulse', 'driver')),
  user_id       INTEGER REFERENCES users(id) ON DELETE CASCADE,
  instance_id   TEXT,
  driver_name   TEXT,
  pulse_id      TEXT,
  label         TEXT,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER,
  revoked_at    INTEGER,
  last_used_at  INTEGER
);
CREATE INDEX api_tokens_instance ON api_tokens(instance_id) WHERE instance_id IS NOT NULL;
