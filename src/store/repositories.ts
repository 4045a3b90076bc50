import type { SqliteDatabase } from './db.js';
import { AgentsRepo } from './agents-repo.js';
import { EventsRepo } from './events-repo.js';
import { IdempotencyRepo } from './idempotency-repo.js';
import { MessagesRepo } from './messages-repo.js';
import { ProjectsRepo } from './projects-repo.js';
import { PulsesRepo } from './pulses-repo.js';
import { SnapshotsRepo } from './snapshots-repo.js';
import { SoulsRepo } from './souls-repo.js';
import { SubscriptionsRepo } from './subscriptions-repo.js';
import { TaskEventsRepo } from './task-events-repo.js';
import { TasksRepo } from './tasks-repo.js';

/** The runtime's repositories over one connection, statements prepared once. */
export interface Repositories {
  db: SqliteDatabase;
  projects: ProjectsRepo;
  souls: SoulsRepo;
  tasks: TasksRepo;
  agents: AgentsRepo;
  events: EventsRepo;
  snapshots: SnapshotsRepo;
  idempotency: IdempotencyRepo;
  taskEvents: TaskEventsRepo;
  pulses: PulsesRepo;
  messages: MessagesRepo;
  subscriptions: SubscriptionsRepo;
  /** Runs `fn` in one SQLite transaction (rolled back if it throws). */
  transaction<T>(fn: () => T): T;
}

export function createRepositories(db: SqliteDatabase): Repositories {
  return {
    db,
    projects: new ProjectsRepo(db),
    souls: new SoulsRepo(db),
    tasks: new TasksRepo(db),
    agents: new AgentsRepo(db),
    events: new EventsRepo(db),
    snapshots: new SnapshotsRepo(db),
    idempotency: new IdempotencyRepo(db),
    taskEvents: new TaskEventsRepo(db),
    pulses: new PulsesRepo(db),
    messages: new MessagesRepo(db),
    subscriptions: new SubscriptionsRepo(db),
    // IMMEDIATE takes the write lock up front (waiting out busy_timeout): a deferred transaction
    // that reads first fails at once with SQLITE_BUSY_SNAPSHOT when another process (a gateway
    // writing a session) committed in between.
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
  };
}
