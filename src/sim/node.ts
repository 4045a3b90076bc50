import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createMemoryBus, createRuntime, rosterOf, SimulatedDriver, type ProjectFiles, type Runtime } from '../actors/index.js';
import { agentMethodPath } from '../app/index.js';
import { ManualClock, MissionError, type ProjectSettings } from '../core/index.js';
import { Accounts, createGateway } from '../gateway/index.js';
import { createRepositories, openStore, type Repositories, type Store } from '../store/index.js';
import { createProjectFiles, Workspace } from '../workspace/index.js';
import type { Activity } from './activity.js';
import type { CallGate } from './call-gate.js';
import { FaultyDriver } from './faulty-driver.js';
import { LossyBus } from './lossy-bus.js';
import type { SimRng } from './rng.js';

export interface NodeOptions {
  dataDir: string;
  /** Sim time at which this incarnation starts. */
  startAt: number;
  incarnation: number;
  seed: number;
  defaults: ProjectSettings;
  activity: Activity;
  gate: CallGate;
  busRng: SimRng;
  pulseIdOf: (instanceId: string, realPulseId: string) => string;
  record: (line: string) => void;
  onRuntimeError: (msg: string, obj: object) => void;
  /** The broken build's switch, shared with the runtime (`RuntimeOptions.faults`): flipped after setup. */
  faults: { ackBeforeCommit: boolean };
}

/**
 * One incarnation of the whole product on a data dir: the real store (SQLite file, data-dir
 * lock), the real runtime (actor host, group commit, scheduler with pulses and deadman), the
 * real workspace files, the real gateway (Fastify, `/rpc` through `inject`), the in-process bus
 * behind network faults, and the simulated squad. `crash()` kills it: commits still queued are
 * never written, nothing it still has running may touch the disk again.
 */
export class SimNode {
  readonly clock: ManualClock;
  readonly store: Store;
  readonly repos: Repositories;
  readonly runtime: Runtime;
  readonly app: FastifyInstance;
  readonly driver: FaultyDriver;
  readonly lossy: LossyBus;
  readonly accounts: Accounts;
  readonly incarnation: number;
  private dead = false;
  /** While set, the group commit writes nothing (the process is about to die mid-commit). */
  commitsFrozen = false;
  private readonly callPath: ReturnType<typeof agentMethodPath>;

  private constructor(opts: NodeOptions, parts: { store: Store; clock: ManualClock; runtime: Runtime; app: FastifyInstance; driver: FaultyDriver; lossy: LossyBus; accounts: Accounts }) {
    this.incarnation = opts.incarnation;
    this.store = parts.store;
    this.repos = createRepositories(parts.store.db);
    this.clock = parts.clock;
    this.runtime = parts.runtime;
    this.app = parts.app;
    this.driver = parts.driver;
    this.lossy = parts.lossy;
    this.accounts = parts.accounts;
    this.callPath = agentMethodPath(parts.app);
  }

  static async open(opts: NodeOptions): Promise<SimNode> {
    const store = await openStore({ dataDir: opts.dataDir, lock: true });
    const clock = new ManualClock(opts.startAt);
    const accounts = new Accounts(store.db, () => clock.now());
    const lossy = new LossyBus(createMemoryBus(), opts.busRng);
    const workspace = new Workspace({ dataDir: store.dataDir, lockTimeoutMs: 400, lockRetries: 1, clock });
    const holder: { node: SimNode | null } = { node: null };
    const files = trackedFiles(createProjectFiles(workspace), opts.activity, () => holder.node?.dead ?? false);
    const squad = new SimulatedDriver({
      callMethod: opts.gate.call,
      roster: (projectId) => rosterOf(createRepositories(store.db), projectId),
      seed: opts.seed,
    });
    const driver = new FaultyDriver(
      squad,
      opts.pulseIdOf,
      (pulse) => opts.gate.cancelPulse(pulse),
      opts.record,
    );
    const runtime = createRuntime({
      db: store.db,
      clock,
      drivers: new Map([['simulated', driver]]),
      files,
      bus: lossy.bus,
      defaults: opts.defaults,
      groupCommit: { maxDelayMs: 1, maxBatch: 512 },
      logger: {
        info: () => undefined,
        warn: () => undefined,
        error: (obj, msg) => {
          if (!holder.node?.dead) opts.onRuntimeError(msg ?? 'error', obj);
        },
      },
      pulseCredentials: (instanceId, pulseId, expiresAt) => {
        const token = accounts.mintPulseToken(instanceId, pulseId, expiresAt);
        opts.gate.pulseOfToken.set(token, opts.pulseIdOf(instanceId, pulseId));
        return { url: 'http://sim.invalid', token };
      },
      faults: opts.faults,
    });
    // A frozen commit never writes: the batch in flight dies with the process (kill -9).
    const committer = runtime.committer;
    const send = committer.send.bind(committer);
    committer.send = () => {
      if (holder.node?.commitsFrozen || holder.node?.dead) return;
      send();
    };
    runtime.start();
    const app = await createGateway({
      config: {
        limits: { rate_limit_per_minute: 1_000_000_000, max_ws_clients: 10, feed_retention_events: 1_000_000_000, max_message_bytes: 1_000_000 },
        projects: { defaults: opts.defaults },
      },
      store,
      runtime,
      workspace,
      bus: lossy.bus,
      drivers: runtime.drivers,
      logger: pino({ level: 'silent' }),
      clock,
    });
    await app.ready();
    const node = new SimNode(opts, { store, clock, runtime, app, driver, lossy, accounts });
    holder.node = node;
    return node;
  }

  get isDead(): boolean {
    return this.dead;
  }

  /** Calls a mission method over the gateway's `/rpc` with a bearer credential. */
  rpc(name: string, params: Record<string, unknown>, token: string, as: string): Promise<unknown> {
    return this.callPath(name, params, { instanceId: as, token });
  }

  /** Whether the runtime has nothing queued for the group commit. */
  get commitIdle(): boolean {
    return this.runtime.committer.pending === 0;
  }

  /** kill -9: no further commit, file effect or answer from this incarnation; the store closes. */
  async crash(): Promise<void> {
    this.dead = true;
    this.runtime.scheduler.stop();
    this.store.close();
    await this.app.close().catch(() => undefined);
  }

  /** Graceful stop (end of a run). */
  async stop(): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    await this.app.close().catch(() => undefined);
    await this.runtime.stop();
    this.store.close();
  }
}

/** The workspace effects, counted while they run and refused once the node is dead. */
function trackedFiles(files: object, activity: Activity, dead: () => boolean): ProjectFiles {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(files as Record<string, unknown>)) {
    if (typeof value !== 'function') continue;
    const fn = value as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]): unknown => {
      if (dead()) return Promise.reject(new MissionError('SHUTTING_DOWN', 'the node was killed'));
      const out = fn(...args);
      return out instanceof Promise ? activity.track(`files.${name}`, out) : out;
    };
  }
  return wrapped as unknown as ProjectFiles;
}

