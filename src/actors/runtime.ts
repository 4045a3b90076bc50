import { projectSettingsSchema } from '../config/schema.js';
import {
  MissionError,
  bootId,
  processIdentity,
  RUNTIME,
  isMissionError,
  missionErrorFromJSON,
  systemClock,
  type By,
  type Clock,
  type CommandEnvelope,
  type CommandName,
  type CommittedEvent,
  type MissionRuntime,
  type ProjectSettings,
} from '../core/index.js';
import type { AgentViewExtras } from '../machines/index.js';
import { CommitWriter, createRepositories, writerOptionsOf, type Repositories, type SqliteDatabase, type StoredAnswer } from '../store/index.js';
import type { Bus } from './bus/types.js';
import { terminateGroup } from './drivers/command.js';
import type { AgentDriver, SpawnInfo } from './drivers/types.js';
import { EffectQueue } from './effects.js';
import type { ProjectFiles } from './files.js';
import { DEFAULT_GROUP_COMMIT, GroupCommitter, type GroupCommitOptions } from './group-commit.js';
import { reconcileDocuments } from './documents.js';
import { ActorHost, type RestoreReport } from './host.js';
import { CommitPublisher } from './commit-publisher.js';
import { KanbanSync } from './kanban-sync.js';
import { ProjectHooks } from './project-hooks.js';
import { COMMAND_HANDLERS } from './commands/index.js';
import { checkProjectSettings } from './commands/projects.js';
import { PulseScheduler } from './scheduler.js';
import { agentSpec, projectSpec, taskSpec } from './specs.js';
import { CommitUnit } from './unit.js';

export interface RuntimeLimits {
  max_projects: number;
  max_instances_per_project: number;
  max_tasks_per_project: number;
}

/** The configuration schema's project defaults: they live there and nowhere else. */
export const DEFAULT_PROJECT_SETTINGS: ProjectSettings = projectSettingsSchema.parse({});

export const DEFAULT_LIMITS: RuntimeLimits = { max_projects: 1_000, max_instances_per_project: 200, max_tasks_per_project: 100_000 };

export interface RuntimeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const consoleLogger: RuntimeLogger = {
  info: () => undefined,
  warn: (obj, msg) => console.warn(msg ?? '', obj),
  error: (obj, msg) => console.error(msg ?? '', obj),
};

export interface RuntimeOptions {
  db: SqliteDatabase;
  clock?: Clock;
  drivers?: Map<string, AgentDriver>;
  /** After-commit file effects: `createProjectFiles(workspace)` (src/workspace). */
  files: ProjectFiles;
  /** After each commit: events on `mc.<p>.evt`, snapshots on `.snap.…`, notifications on `.inbox.…`. */
  bus?: Bus;
  defaults?: Partial<ProjectSettings>;
  limits?: Partial<RuntimeLimits>;
  groupCommit?: Partial<GroupCommitOptions>;
  logger?: RuntimeLogger;
  /** Arm pulse and deadman timers (default true; benchmarks and some tests turn it off). */
  scheduling?: boolean;
  /** Mints the short-lived credential a pulse carries to the agent (SPEC §9). */
  pulseCredentials?: (instanceId: string, pulseId: string, expiresAt: number) => { url: string; token: string } | undefined;
  /**
   * Commit large batches on a writer thread with its own connection (default false; the server's
   * `group_commit.thread` is on): the actors' thread builds the next batch while SQLite writes
   * the last. Small batches stay inline (`groupCommit.threadMinBatch`). Ignored for an in-memory
   * database.
   */
  commitThread?: boolean;
  /** Deliberately broken builds for the deterministic simulation (src/sim); never set in production. */
  faults?: { ackBeforeCommit?: boolean };
}

/**
 * The MissionRuntime: commands in, committed events out. Owns the actor host, the group commit
 * and the scheduler; each command runs synchronously against the actors (checked events only),
 * then waits for its group commit before it is answered.
 */
export class Runtime implements MissionRuntime {
  readonly repos: Repositories;
  readonly host: ActorHost;
  readonly committer: GroupCommitter;
  readonly clock: Clock;
  readonly drivers: Map<string, AgentDriver>;
  readonly files: ProjectFiles;
  /** Project defaults and limits; `updateSettings` (SIGHUP) replaces them. */
  private currentDefaults: ProjectSettings;
  private currentLimits: RuntimeLimits;
  /** Each project's explicit settings (the rest follow the defaults), cached from `projects.settings`. */
  private readonly overrides = new Map<string, Partial<ProjectSettings>>();
  readonly log: RuntimeLogger;
  readonly scheduler: PulseScheduler;
  readonly options: RuntimeOptions;
  readonly kanban: KanbanSync;
  /** The project actors' emits, wired to KANBAN.md renders and the lead's inbox. */
  readonly projectHooks: ProjectHooks;
  /** Publishes each commit on the bus (null without one). */
  readonly publisher: CommitPublisher | null;
  /** After-commit effects, in commit order per project. */
  readonly effects: EffectQueue;
  private readonly extras = new Map<string, AgentViewExtras>();
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Every command admitted and not yet answered (stop waits for them). */
  private readonly running = new Set<Promise<unknown>>();
  /** Units whose handler has run (or is running) but which are not queued for the commit yet. */
  private readonly handling = new Set<CommitUnit>();
  private stopping = false;
  private started = false;
  /** Process groups being terminated (left by a crash, or of a destroyed instance). */
  private readonly reaping = new Set<Promise<unknown>>();

  constructor(opts: RuntimeOptions) {
    this.options = opts;
    this.repos = createRepositories(opts.db);
    this.clock = opts.clock ?? systemClock;
    this.drivers = opts.drivers ?? new Map();
    this.files = opts.files;
    this.currentDefaults = { ...DEFAULT_PROJECT_SETTINGS, ...opts.defaults };
    this.currentLimits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.log = opts.logger ?? consoleLogger;
    this.host = new ActorHost(this.repos, [
      taskSpec((snap) => this.depsDone(snap.context.depends_on)),
      agentSpec((c) => this.agentExtras(c.id)),
      projectSpec((id) => this.repos.projects.lastSeq(id) ?? 0, (id) => this.settings(id)),
    ]);
    const writer =
      opts.commitThread && !opts.db.memory
        ? new CommitWriter(writerOptionsOf(opts.db), (failure) => this.log.error({ err: failure.message }, 'writer thread died; committing inline from now on'))
        : null;
    this.committer = new GroupCommitter(
      this.repos,
      this.host,
      { ...DEFAULT_GROUP_COMMIT, ...opts.groupCommit },
      (err) => this.log.error({ err }, 'commit listener failed'),
      writer,
    );
    this.effects = new EffectQueue((err) => this.log.error({ err: String(err) }, 'after-commit effect failed'));
    this.committer.onUnitsCommitted((units) => {
      for (const unit of units) this.runAfterCommit(unit);
    });
    this.scheduler = new PulseScheduler(this);
    this.kanban = new KanbanSync(this);
    this.publisher = opts.bus ? new CommitPublisher(this, opts.bus) : null;
    this.projectHooks = new ProjectHooks(this, {
      renderKanban: (projectId) => this.kanban.request(projectId),
      assignmentNeeded: (projectId, taskIds) => this.publisher?.assignmentNeeded(projectId, taskIds),
    });
  }

  /** Restores resident actors and arms their deadlines; call once before `execute`. */
  start(): RestoreReport {
    if (this.started) throw new MissionError('INTERNAL', 'runtime already started');
    this.started = true;
    const report = this.host.restore();
    for (const r of report.refused) this.log.warn(r, 'actor snapshot not restored');
    // A crash between a commit and its file effect leaves CHRONICLE.md / learned.md behind the log.
    reconcileDocuments(this);
    // Agent programs a crashed server left running hold no pulse any more: end their groups.
    // Only a group this server started: after a reboot, or once its leader's pid went to another
    // process, the number names someone else's group and is just forgotten.
    for (const { id, pgid, identity } of this.repos.agents.withPgid()) {
      if (identity !== null && !sameProcessGroup(pgid, identity)) {
        this.log.info({ instance_id: id, pgid }, 'agent process group of a previous run is gone (reboot or pid reused); forgotten');
        this.repos.agents.clearPgid(id, pgid);
        continue;
      }
      this.log.warn({ instance_id: id, pgid }, 'terminating an agent process group left by a previous run');
      this.terminateProcessGroup(id, pgid);
    }
    if (this.options.scheduling !== false) this.scheduler.start();
    return report;
  }

  /**
   * Settles once the commit path is up: the writer thread (group_commit.thread) has started and
   * opened its connection, or commits run inline. Commands sent before simply wait longer for
   * their first commit; the server awaits this before it takes traffic.
   */
  ready(): Promise<void> {
    return this.committer.ready;
  }

  onCommitted(listener: (events: CommittedEvent[]) => void): () => void {
    return this.committer.onCommitted(listener);
  }

  async execute<N extends CommandName>(command: CommandEnvelope<N>): Promise<unknown> {
    if (this.stopping) throw new MissionError('SHUTTING_DOWN');
    const running = this.admit(command);
    this.running.add(running);
    try {
      return await running;
    } finally {
      this.running.delete(running);
    }
  }

  private async admit(command: CommandEnvelope): Promise<unknown> {
    const key = command.idempotency_key;
    if (!key) return this.run(command, null);
    const stored = this.repos.idempotency.get(command.principal_key, key);
    if (stored) return replay(stored.answer);
    const slot = `${command.principal_key}\u0000${key}`;
    const running = this.inflight.get(slot);
    if (running) return running;
    const promise = this.run(command, key);
    this.inflight.set(slot, promise);
    try {
      return await promise;
    } finally {
      this.inflight.delete(slot);
    }
  }

  /** Runs a runtime-originated unit of work (pulses, deadman) through the same commit path. */
  async runInternal<T>(fn: (unit: CommitUnit) => T): Promise<T> {
    const unit = new CommitUnit(this.clock.now());
    let result: T;
    try {
      result = fn(unit);
    } catch (err) {
      if (unit.touched.size > 0) this.committer.abandon(unit, err);
      throw err;
    }
    if (unit.events.length === 0 && unit.touched.size === 0 && !unit.hasRowWrites) return result;
    await this.committer.enqueue(unit);
    return result;
  }

  private async run(command: CommandEnvelope, key: string | null): Promise<unknown> {
    const handler = COMMAND_HANDLERS[command.name];
    if (!handler) throw new MissionError('INVALID_INPUT', `unknown command ${command.name}`);
    const unit = new CommitUnit(this.clock.now());
    if (key) unit.idempotency = { principalKey: command.principal_key, key, command: command.name };
    this.handling.add(unit);
    try {
      unit.result = await handler(this, unit, command.params as never, command.by);
    } catch (err) {
      this.handling.delete(unit);
      if (unit.touched.size > 0) this.committer.abandon(unit, err);
      this.host.releaseActivated(this.heldByCommand);
      if (key && isMissionError(err) && err.severity === 'permanent' && err.code !== 'INTERNAL') {
        // The first answer of a keyed call is kept, also when it is an error.
        const errorUnit = new CommitUnit(unit.now);
        errorUnit.idempotency = unit.idempotency;
        errorUnit.answer = { ok: false, error: { code: err.code, message: err.message, data: err.data } };
        await this.committer.enqueue(errorUnit).catch(() => undefined);
      }
      throw err;
    }
    if (key) unit.answer = { ok: true, result: unit.result ?? null };
    const durable = this.committer.enqueue(unit);
    this.handling.delete(unit);
    // The simulation's broken build answers before the commit; it must catch the lost answers.
    if (this.options.faults?.ackBeforeCommit) durable.catch(() => undefined);
    else {
      await durable;
      if (unit.answerAfterEffects) await unit.effectsDone;
    }
    this.host.releaseActivated(this.heldByCommand);
    return unit.result;
  }

  /**
   * Whether a command still holds an actor: queued for the commit, or touched by a handler whose
   * unit is not queued yet (the await after a handler lets other commands run in between: a
   * passive task stopped then would be committed as a stopped snapshot, never restorable).
   */
  private readonly heldByCommand = (id: string): boolean => {
    if (this.committer.isQueued(id)) return true;
    for (const unit of this.handling) if (unit.touched.has(id)) return true;
    return false;
  };

  /**
   * A unit's effects run in order, behind the effects of earlier units of the same projects
   * (the project folder before its KANBAN.md and agent files), off the answer path.
   */
  private runAfterCommit(unit: CommitUnit): void {
    if (unit.afterCommit.length === 0) return;
    const keys = new Set<string>(unit.effectKeys);
    for (const e of unit.events) keys.add(e.project_id);
    for (const entry of unit.touched.values()) keys.add(entry.projectId);
    unit.effectsDone = this.effects.run(keys, unit.afterCommit);
  }

  /** A command-driven agent's program started (driver `onSpawn`): its process group is recorded. */
  processStarted(info: SpawnInfo): void {
    this.repos.agents.setPgid(info.instanceId, info.pgid, info.identity);
  }

  /** The program exited (driver `onExit`): its group is forgotten. */
  processExited(info: SpawnInfo): void {
    this.repos.agents.clearPgid(info.instanceId, info.pgid);
  }

  /** SIGTERM, then SIGKILL after a grace period, to a recorded group; then forgets it. */
  terminateProcessGroup(instanceId: string, pgid: number, graceMs?: number): Promise<void> {
    const done = terminateGroup(pgid, graceMs)
      .catch((err: unknown) => this.log.error({ err: String(err), instance_id: instanceId, pgid }, 'process group not terminated'))
      .then(() => {
        if (this.repos.db.open) this.repos.agents.clearPgid(instanceId, pgid);
      });
    this.reaping.add(done);
    void done.finally(() => this.reaping.delete(done));
    return done;
  }

  /** Graceful stop: refuse new commands, write the last batch, stop timers and actors. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.scheduler.stop();
    // Commands already admitted finish (their batch is flushed now rather than after the delay).
    const admitted = Promise.allSettled([...this.running]);
    this.committer.flush();
    await admitted;
    this.committer.flush();
    await this.scheduler.drain();
    this.committer.flush();
    // After-commit effects (KANBAN.md, agent files) finish before stop resolves; an effect may
    // commit more (an upgrade's return), so flush until nothing is left.
    while (this.effects.size > 0 || this.committer.pending > 0 || this.kanban.pending > 0) {
      this.kanban.flushDelayed();
      await this.effects.idle();
      this.committer.flush();
    }
    await Promise.allSettled([...this.reaping]);
    await this.committer.close();
    this.host.stopAll();
  }

  /**
   * Resolves once nothing runtime-side is moving: no unit waiting for its commit, no after-commit
   * effect running, no pulse building its prompt or recording its outcome (a pulse waiting on
   * its driver does not count). Tests with a manual clock use it between clock steps.
   */
  async settled(): Promise<void> {
    for (let quiet = 0; quiet < 2; ) {
      if (this.committer.pending > 0 || this.effects.size > 0 || this.scheduler.busy || this.kanban.pending > 0) {
        quiet = 0;
        this.kanban.flushDelayed();
        await this.effects.idle();
        await new Promise((r) => setTimeout(r, 1));
      } else {
        quiet++;
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  // ---- helpers shared by the command handlers ----

  get defaults(): ProjectSettings {
    return this.currentDefaults;
  }

  get limits(): RuntimeLimits {
    return this.currentLimits;
  }

  /**
   * SIGHUP: new project defaults and limits. They apply to what is computed from now on (new
   * pulse and deadman deadlines, new projects, limit checks); deadlines already armed keep
   * their times. Refused as a whole (INVALID_INPUT naming the project) when a project that
   * follows the defaults would break the deadman rule (SPEC §4).
   */
  updateSettings(update: { defaults?: Partial<ProjectSettings>; limits?: Partial<RuntimeLimits> }): void {
    const defaults = update.defaults ? { ...DEFAULT_PROJECT_SETTINGS, ...update.defaults } : this.currentDefaults;
    checkProjectSettings(defaults);
    for (const row of this.repos.projects.list()) {
      try {
        checkProjectSettings({ ...defaults, ...this.overridesOf(row.id) });
      } catch (err) {
        if (isMissionError(err)) throw new MissionError(err.code, `${err.message} (project ${row.id})`, { ...(err.data as object), project_id: row.id });
        throw err;
      }
    }
    this.currentDefaults = defaults;
    if (update.limits) this.currentLimits = { ...DEFAULT_LIMITS, ...update.limits };
  }

  /** A project's explicit settings (set at creation); everything else follows the defaults. */
  setOverrides(projectId: string, overrides: Partial<ProjectSettings>): void {
    this.overrides.set(projectId, { ...overrides });
  }

  /** A copy of the project's explicit settings. */
  explicitSettings(projectId: string): Partial<ProjectSettings> {
    return { ...this.overridesOf(projectId) };
  }

  private overridesOf(projectId: string): Partial<ProjectSettings> {
    const hit = this.overrides.get(projectId);
    if (hit) return hit;
    const row = this.repos.projects.get(projectId);
    if (!row) throw new MissionError('NOT_FOUND', `project ${projectId} does not exist`, { project_id: projectId });
    const parsed = JSON.parse(row.settings) as Partial<ProjectSettings>;
    this.overrides.set(projectId, parsed);
    return parsed;
  }

  /** The project's effective settings: the current defaults under its explicit settings. */
  settings(projectId: string): ProjectSettings {
    return { ...this.currentDefaults, ...this.overridesOf(projectId) };
  }

  agentExtras(instanceId: string): AgentViewExtras {
    const hit = this.extras.get(instanceId);
    if (hit) return hit;
    const row = this.repos.agents.get(instanceId);
    const soulId = instanceId.slice(0, instanceId.indexOf(':'));
    const soul = this.repos.souls.get(soulId);
    const extras: AgentViewExtras = {
      name: soul?.name ?? soulId,
      role: soul?.role ?? 'agent',
      pulse_slot: row?.pulse_slot ?? 0,
      driver: row?.driver ?? this.defaults.driver,
    };
    this.extras.set(instanceId, extras);
    return extras;
  }

  setAgentExtras(instanceId: string, extras: AgentViewExtras): void {
    this.extras.set(instanceId, extras);
  }

  /** Refreshes the soul facts shown in agent views after a soul update. */
  soulChanged(soulId: string, name: string, role: string): void {
    for (const [id, e] of this.extras) if (id.startsWith(`${soulId}:`)) this.extras.set(id, { ...e, name, role });
  }

  /** Whether every dependency is done, from the store (SPEC §3: start is refused otherwise). */
  depsDone(dependsOn: readonly string[]): boolean {
    for (const id of dependsOn) if (this.repos.tasks.status(id) !== 'done') return false;
    return true;
  }

  driverFor(projectId: string, soulId: string): { name: string; driver: AgentDriver | undefined } {
    const soulDriver = this.repos.souls.settings(soulId).driver;
    const name = typeof soulDriver === 'string' ? soulDriver : this.settings(projectId).driver;
    return { name, driver: this.drivers.get(name) };
  }

  get runtimeBy(): By {
    return RUNTIME;
  }
}

function replay(answer: StoredAnswer): unknown {
  if (answer.ok) return answer.result;
  throw missionErrorFromJSON(answer.error);
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  return new Runtime(opts);
}

/**
 * Whether `pgid` still names the group whose leader had `identity` (`<boot>:<start>`). Another
 * boot: no. The leader alive with another identity: no (its pid was reused, which Linux does only
 * once no group of that id is left). The leader gone: yes, members it left may still run.
 */
function sameProcessGroup(pgid: number, identity: string): boolean {
  const boot = bootId();
  if (boot !== null && !identity.startsWith(`${boot}:`)) return false;
  const now = processIdentity(pgid);
  return now === null || now === identity;
}
