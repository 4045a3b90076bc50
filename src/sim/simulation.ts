import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMissionError } from '../core/index.js';
import { DATA_DIR_LOCK_FILE } from '../store/index.js';
import { Activity, settle } from './activity.js';
import { Auditor, type ProjectPlan, type Violation } from './audit.js';
import { CallGate, type ParkedCall } from './call-gate.js';
import type { DriverFault } from './faulty-driver.js';
import { humanCommand, type HumanCommand } from './human.js';
import { Ledger, type Outcome } from './ledger.js';
import { FeedMirror } from './lossy-bus.js';
import { SimNode } from './node.js';
import { DEFAULTS, deadPid, replayCommand, SOULS, STEP_WEIGHTS, type StepKind } from './plan.js';
import { SimRng } from './rng.js';
import { traceHash, UUID_RE } from './trace-hash.js';

export interface SimOptions {
  seed: number;
  steps: number;
  /** The deliberately broken build: the runtime answers before its group commit. */
  ackBeforeCommit?: boolean;
  /** Keep the data dir (printed in the result) instead of removing it. */
  keepDir?: boolean;
  /** Real-time bound for one step to settle; beyond it the run fails as `stuck`. */
  settleTimeoutMs?: number;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  stepsRun: number;
  failedStep: number | null;
  violations: Violation[];
  traceHash: string;
  trace: string[];
  stats: Record<string, number>;
  replay: string;
  dataDir: string | null;
  durationMs: number;
}

/**
 * One seeded run of the whole product (docs/simulation.md): set up a squad, then `steps` steps
 * chosen from the seed (release an agent call, move the clock, a human command, a fault, a
 * crash), each followed by settling the node and auditing every invariant.
 */
export class Simulation {
  private readonly rng: SimRng;
  private readonly activity = new Activity();
  private readonly ledger = new Ledger();
  private readonly gate: CallGate;
  private readonly mirror: FeedMirror;
  private readonly auditor: Auditor;
  private readonly projects = new Map<string, ProjectPlan>();
  private readonly souls: string[] = [];
  private readonly trace: string[] = [];
  private readonly pulseIds = new Map<string, string>();
  private readonly pulseCount = new Map<string, number>();
  private readonly humanParams = new Map<string, HumanCommand>();
  /** Keyed calls answered by nobody yet (a crash makes them `unknown`). */
  private readonly inflight = new Map<string, { principal: string; method: string }>();
  /** Ends the activity of each launched call still waiting for an answer. */
  private readonly openCalls = new Set<() => void>();
  private readonly stats: Record<string, number> = { crashes: 0, crashesWithQueuedCommit: 0, unanswered: 0, restarts: 0, released: 0, humanCommands: 0, clockJumps: 0, driverFaults: 0, staleLocks: 0, runtimeErrors: 0, dropped: 0, delayed: 0 };
  private readonly dataDir: string;
  private node!: SimNode;
  private incarnation = 0;
  private adminToken = '';
  private adminPrincipal = '';
  private humanSerial = 0;
  private readonly busRng: SimRng;
  /** The broken build is switched on once the squad is set up, so the run reaches its crashes. */
  private readonly faults = { ackBeforeCommit: false };

  constructor(private readonly opts: SimOptions) {
    this.rng = new SimRng(opts.seed);
    this.busRng = new SimRng(opts.seed, 1);
    this.dataDir = mkdtempSync(join(tmpdir(), `mc-sim-${opts.seed}-`));
    this.gate = new CallGate(`s${opts.seed}`, () => this.incarnation);
    this.mirror = new FeedMirror(() => []);
    this.auditor = new Auditor(this.projects, this.ledger, this.mirror);
  }

  private log(line: string): void {
    this.trace.push(line);
  }

  /** Lines from work that runs concurrently (pulse deliveries): in the trace sorted, per settle. */
  private notes: string[] = [];

  private note(line: string): void {
    this.notes.push(line);
  }

  private pulseIdOf = (instanceId: string, real: string): string => {
    let det = this.pulseIds.get(real);
    if (!det) {
      const n = (this.pulseCount.get(instanceId) ?? 0) + 1;
      this.pulseCount.set(instanceId, n);
      det = `${instanceId}/p${n}`;
      this.pulseIds.set(real, det);
    }
    return det;
  };

  private async boot(startAt: number): Promise<void> {
    this.incarnation++;
    this.node = await SimNode.open({
      dataDir: this.dataDir,
      startAt,
      incarnation: this.incarnation,
      seed: this.opts.seed,
      defaults: DEFAULTS,
      activity: this.activity,
      gate: this.gate,
      busRng: this.busRng,
      pulseIdOf: this.pulseIdOf,
      record: (line) => this.note(`  ${line}`),
      onRuntimeError: (msg, obj) => {
        this.stats.runtimeErrors!++;
        this.note(`  runtime error: ${msg} ${JSON.stringify(obj).replace(UUID_RE, (u) => this.pulseIds.get(u) ?? 'uuid')}`);
      },
      faults: this.faults,
    });
    const node = this.node;
    this.mirror.attach(node.lossy.bus, (projectId, after) => node.repos.events.since(projectId, after));
  }

  /**
   * Waits for the node to go quiet, then lets deadlines already due fire (a real clock fires a
   * timer armed in the past at once; the manual one only when it moves) until nothing changes.
   */
  private async settle(): Promise<void> {
    await this.quiet();
    for (let round = 0; round < 10; round++) {
      const before = `${this.node.runtime.committer.transactions}|${this.activity.ticks}`;
      this.node.clock.advance(0);
      await this.quiet();
      if (`${this.node.runtime.committer.transactions}|${this.activity.ticks}` === before) break;
    }
    this.trace.push(...this.notes.sort());
    this.notes = [];
  }

  /** Waits for the node to go quiet; with commits frozen, for everything but the commit to. */
  private async quiet(): Promise<void> {
    const node = this.node;
    const ok = node.commitsFrozen
      ? await settle(() => !this.activity.busyExcept(['call', 'human']), this.opts.settleTimeoutMs ?? 20_000, () => `${this.activity.ticks}|${node.runtime.committer.pending}`)
      : await settle(() => this.idle(node), this.opts.settleTimeoutMs ?? 20_000);
    if (!ok) throw new StuckError(`the node did not settle (running: ${this.activity.describe() || 'nothing counted'}, queued commits: ${node.runtime.committer.pending})`);
  }

  /**
   * Nothing running, queued for commit or waiting as an after-commit effect. KANBAN.md renders
   * held back by their real-time throttle are let through at once (the runtime's own hook).
   */
  private idle(node: SimNode): boolean {
    if (this.activity.busy || !node.commitIdle) return false;
    if (node.runtime.kanban.pending > 0) node.runtime.kanban.flushDelayed();
    return node.runtime.effects.size === 0 && node.runtime.kanban.pending === 0;
  }

  /** Sends a command over `/rpc` as the admin and records what the caller was told. */
  private launchHuman(cmd: HumanCommand, key: string): void {
    this.humanParams.set(key, cmd);
    this.launch('human', this.adminPrincipal, key, cmd.method, (node) => node.rpc(cmd.method, { ...cmd.params, idempotency_key: key }, this.adminToken, 'sim-admin'));
  }

  private launch(kind: 'human' | 'call', principal: string, key: string | null, method: string, run: (node: SimNode) => Promise<unknown>, parked?: ParkedCall): void {
    const node = this.node;
    if (key) this.inflight.set(key, { principal, method });
    this.activity.begin(kind);
    // A call of a killed node never answers: the crash ends its activity instead.
    let open = true;
    const end = (): void => {
      if (!open) return;
      open = false;
      this.activity.end(kind);
    };
    this.openCalls.add(end);
    run(node)
      .then(
        (result) => {
          if (node.isDead) return;
          if (key) this.settleKey(key, principal, method, 'acked', result);
          this.log(`  ${kind} ${method} ok`);
          parked?.resolve(result);
        },
        (err: unknown) => {
          if (node.isDead) return;
          const code = isMissionError(err) ? err.code : 'THROWN';
          const permanent = isMissionError(err) && err.severity === 'permanent' && err.code !== 'INTERNAL' && err.code !== 'UNAUTHENTICATED';
          if (key) this.settleKey(key, principal, method, permanent ? 'refused' : 'unknown', code);
          this.log(`  ${kind} ${method} → ${code}`);
          parked?.reject(err);
        },
      )
      .finally(() => {
        this.openCalls.delete(end);
        end();
      });
  }

  private settleKey(key: string, principal: string, method: string, outcome: Outcome, answer: unknown): void {
    this.inflight.delete(key);
    this.ledger.record({ key, principal, method, outcome, answer, at: this.node.clock.now() });
  }

  private async human(cmd: HumanCommand): Promise<void> {
    this.stats.humanCommands!++;
    const key = `s${this.opts.seed}-h${++this.humanSerial}`;
    this.log(`  human ${cmd.method} ${JSON.stringify(cmd.params)}`);
    this.launchHuman(cmd, key);
    await this.settle();
  }

  private release(call: ParkedCall): void {
    this.gate.take(call);
    this.stats.released!++;
    const key = typeof call.params.idempotency_key === 'string' ? call.params.idempotency_key : null;
    this.log(`  release ${call.pulse} ${call.name}`);
    this.launch('call', `agent:${call.instanceId}`, key, call.name, (node) => node.rpc(call.name, call.params, call.token, call.instanceId), call);
  }

  private async setup(): Promise<void> {
    const start = Date.UTC(2026, 0, 5, 9, 0, 0) + this.rng.int(0, 86_400) * 1000;
    await this.boot(start);
    const admin = await this.node.accounts.addUser('sim-admin', 'sim-admin-password', true);
    this.adminToken = this.node.accounts.createToken({ user: 'sim-admin' }).token;
    this.adminPrincipal = `user:${admin.id}`;
    const souls = SOULS.filter((s, i) => i === 0 || this.rng.chance(0.7));
    for (const s of souls) {
      this.souls.push(s.soul_id);
      await this.human({ method: 'mission.soul.create', params: { ...s } });
    }
    const projectCount = this.rng.int(1, 2);
    for (let i = 0; i < projectCount; i++) {
      const plan: ProjectPlan = {
        id: `sim-${String.fromCharCode(97 + i)}`,
        deadman_timeout: this.rng.pick([150, 180, 300]),
        max_attempts: this.rng.int(1, 3),
        require_review: this.rng.chance(0.5),
      };
      this.projects.set(plan.id, plan);
      await this.human({
        method: 'mission.project.init',
        params: {
          project_name: `Sim ${plan.id}`,
          project_id: plan.id,
          base_id: this.souls,
          settings: { pulse_interval: 60, pulse_timeout: 30, deadman_timeout: plan.deadman_timeout, max_attempts: plan.max_attempts, require_review: plan.require_review },
        },
      });
      for (let t = this.rng.int(2, 5); t > 0; t--) await this.human(humanCommand(this.rng, { projectId: plan.id, souls: this.souls, tasks: [] }, ++this.humanSerial));
    }
  }

  private async crash(midCommit: boolean): Promise<void> {
    const node = this.node;
    if (midCommit) {
      // The process dies while a batch is queued: whatever the next action commits is lost.
      node.commitsFrozen = true;
      const then = this.rng.weighted({ human: 2, release: 2, tick: 1 });
      this.log(`  freeze commits, then ${then}`);
      await this.act(then);
    }
    this.stats.crashes!++;
    if (node.runtime.committer.pending > 0) this.stats.crashesWithQueuedCommit!++;
    this.stats.unanswered! += this.inflight.size;
    for (const [key, k] of this.inflight) this.ledger.record({ key, principal: k.principal, method: k.method, outcome: 'unknown', answer: null, at: node.clock.now() });
    this.inflight.clear();
    const now = node.clock.now();
    await node.crash();
    for (const end of this.openCalls) end();
    this.openCalls.clear();
    this.mirror.detach();
    this.gate.dropDead();
    this.stats.dropped! += node.lossy.dropped;
    this.stats.delayed! += node.lossy.delayed;
    // The killed process leaves its data-dir lock behind; the next one must take it over.
    writeFileSync(join(this.dataDir, DATA_DIR_LOCK_FILE), `${deadPid()}\n`);
    const downFor = this.rng.chance(0.2) ? this.rng.int(10, 90) * 60_000 : this.rng.int(0, 120) * 1000;
    this.log(`  restart after ${downFor} ms`);
    await this.boot(now + downFor);
    this.stats.restarts!++;
    await this.settle();
    // Clients retry what they never heard back about, with the same key (SPEC §5, §10).
    for (const entry of this.ledger.unknown()) {
      const cmd = this.humanParams.get(entry.key);
      if (!cmd) continue;
      this.log(`  retry ${entry.key} ${cmd.method}`);
      this.launchHuman(cmd, entry.key);
      await this.settle();
    }
  }

  private async act(action: StepKind): Promise<void> {
    const node = this.node;
    const projectIds = [...this.projects.keys()];
    switch (action) {
      case 'release': {
        for (let n = this.rng.int(1, 4); n > 0; n--) {
          const waiting = this.gate.waiting();
          if (waiting.length === 0) break;
          this.release(this.rng.pick(waiting));
          await this.settle();
        }
        return;
      }
      case 'tick':
      case 'jump': {
        const ms = action === 'tick' ? this.rng.int(1, 20) * 1000 : this.rng.int(5, 90) * 60_000;
        if (action === 'jump') this.stats.clockJumps!++;
        this.log(`  clock +${ms} ms`);
        node.clock.advance(ms);
        await this.settle();
        return;
      }
      case 'human': {
        const projectId = this.rng.pick(projectIds);
        await this.human(humanCommand(this.rng, { projectId, souls: this.souls, tasks: node.repos.tasks.board(projectId) }, ++this.humanSerial));
        return;
      }
      case 'driverFault': {
        const instance = `${this.rng.pick(this.souls)}:${this.rng.pick(projectIds)}`;
        const fault: DriverFault = this.rng.pick(['hang', 'fail', 'throw'] as const);
        this.stats.driverFaults!++;
        this.log(`  driver fault ${fault} for ${instance}`);
        node.driver.arm(instance, fault);
        return;
      }
      case 'bus': {
        if (this.rng.chance(0.4)) {
          this.log(`  bus releases ${node.lossy.release()} held messages`);
          await this.settle();
        } else {
          node.lossy.faults = { drop: this.rng.pick([0, 0, 0.2, 0.5]), delay: this.rng.pick([0, 0.3]) };
          this.log(`  bus faults ${JSON.stringify(node.lossy.faults)}`);
        }
        return;
      }
      case 'staleLock': {
        const projectId = this.rng.pick(projectIds);
        this.stats.staleLocks!++;
        this.log(`  stale KANBAN.md lock in ${projectId}`);
        writeFileSync(join(this.dataDir, 'projects', projectId, 'KANBAN.md.lock'), JSON.stringify({ pid: deadPid(), token: 'killed-holder', at: node.clock.now() }));
        return;
      }
      case 'crash':
      case 'crashMidCommit':
        this.log(`  crash${action === 'crashMidCommit' ? ' mid-commit' : ''}`);
        return this.crash(action === 'crashMidCommit');
    }
  }

  async run(): Promise<SimResult> {
    const started = Date.now();
    let violations: Violation[];
    let failedStep: number | null = null;
    let step = 0;
    try {
      await this.setup();
      this.faults.ackBeforeCommit = this.opts.ackBeforeCommit ?? false;
      violations = this.auditor.check(this.node, false);
      if (violations.length > 0) failedStep = 0;
      for (step = 1; step <= this.opts.steps && failedStep === null; step++) {
        const action = this.rng.weighted(STEP_WEIGHTS);
        this.log(`#${step} ${action} t=${this.node.clock.now()}`);
        await this.act(action);
        violations = this.auditor.check(this.node, action === 'crash' || action === 'crashMidCommit');
        if (violations.length > 0) failedStep = step;
      }
      if (failedStep === null) {
        // The end: held messages arrive, the remote feed catches up, and must equal the log.
        this.node.lossy.release();
        await this.settle();
        for (const p of this.projects.keys()) this.mirror.catchUp(p);
        violations = this.auditor.check(this.node, false);
        for (const p of this.projects.keys()) {
          const mirrored = this.mirror.applied.get(p)?.length ?? 0;
          const logged = this.auditor.events(p).length;
          if (mirrored !== logged) violations.push({ invariant: 'feed-mismatch', detail: `feed of ${p} holds ${mirrored} events after catching up, the log ${logged}` });
        }
        if (violations.length > 0) failedStep = step;
      }
    } catch (err) {
      failedStep = step;
      violations = [{ invariant: err instanceof StuckError ? 'stuck' : 'crashed', detail: err instanceof Error ? (err.stack ?? err.message) : String(err) }];
    }
    const hash = traceHash(this.trace, this.node && !this.node.isDead ? this.node.repos : null, [...this.projects.keys()], this.pulseIds);
    this.stats.dropped! += this.node?.lossy.dropped ?? 0;
    this.stats.delayed! += this.node?.lossy.delayed ?? 0;
    this.stats.feedGaps = this.mirror.gaps;
    this.stats.events = [...this.projects.keys()].reduce((n, p) => n + this.auditor.events(p).length, 0);
    this.stats.ledger = this.ledger.entries.size;
    await this.node?.stop().catch(() => undefined);
    const keep = this.opts.keepDir ?? false;
    if (!keep) rmSync(this.dataDir, { recursive: true, force: true });
    const ok = failedStep === null;
    return {
      seed: this.opts.seed,
      ok,
      stepsRun: Math.min(step, this.opts.steps),
      failedStep,
      violations,
      traceHash: hash,
      trace: this.trace,
      stats: this.stats,
      replay: replayCommand(this.opts.seed, this.opts.steps, this.opts.ackBeforeCommit ?? false),
      dataDir: keep ? this.dataDir : null,
      durationMs: Date.now() - started,
    };
  }
}

class StuckError extends Error {}

export function runSeed(opts: SimOptions): Promise<SimResult> {
  return new Simulation(opts).run();
}
