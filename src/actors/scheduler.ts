import { randomUUID } from 'node:crypto';
import { MissionError, type AgentView, type TaskView } from '../core/index.js';
import type { AgentContext } from '../machines/index.js';
import type { PulseOutcome } from './drivers/types.js';
import { DeadlineTimers } from './deadlines.js';
import type { ResidentActor } from './host.js';
import type { Runtime } from './runtime.js';
import { followingPulseAt } from './stagger.js';
import type { CommitUnit } from './unit.js';

interface InFlight {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Durable time for agents (SPEC §4): pulse and deadman deadlines are absolute times in each
 * agent's context, armed from there after every commit and after a restart. Pulses missed while
 * down coalesce into one (the next pulse is computed from "now"); the machine's guards make sure
 * a pulse never starts twice and a deadman never fires early or twice.
 */
export class PulseScheduler {
  private readonly timers: DeadlineTimers;
  private readonly inflight = new Map<string, InFlight>();
  /** Pulses doing runtime-side work now (prompt, outcome, daily log); not waiting on a driver. */
  private working = 0;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly rt: Runtime) {
    this.timers = new DeadlineTimers(rt.clock);
  }

  /** Arms every resident agent's deadlines and re-delivers pulses a crash left `delivering`. */
  start(): void {
    this.unsubscribe = this.rt.committer.onActorsCommitted((entries) => {
      for (const e of entries) if (e.spec.kind === 'agent') this.arm(e);
    });
    for (const id of this.rt.host.residentIds('agent')) {
      const entry = this.rt.host.find(id);
      if (entry) this.arm(entry);
    }
    for (const row of this.rt.repos.pulses.delivering()) {
      const agent = this.rt.host.find(row.instance_id);
      const ctx = agent ? (this.rt.host.snapshot(agent).context as AgentContext) : null;
      if (agent && ctx?.pulse_id === row.id) {
        // At-least-once: the same pulse_id again, so the agent side can deduplicate.
        this.rt.repos.pulses.redeliver(row.id);
        this.deliver(agent, row.id);
      } else {
        this.rt.repos.pulses.finish(row.id, 'aborted', this.rt.clock.now(), 'not in flight after restart');
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.timers.cancelAll();
    // Runs cut short by shutdown stay `delivering` and are re-delivered after the restart.
    for (const f of this.inflight.values()) f.controller.abort();
  }

  /** Whether a pulse is building its prompt or recording its outcome (not waiting on its driver). */
  get busy(): boolean {
    return this.working > 0;
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inflight.values()].map((f) => f.done));
  }

  /** Deadlines currently armed (tests and health). */
  armedAt(instanceId: string): { pulse: number | undefined; deadman: number | undefined } {
    return { pulse: this.timers.armedAt(`pulse:${instanceId}`), deadman: this.timers.armedAt(`deadman:${instanceId}`) };
  }

  forget(instanceId: string): void {
    this.timers.cancel(`pulse:${instanceId}`);
    this.timers.cancel(`deadman:${instanceId}`);
  }

  private arm(entry: ResidentActor): void {
    if (this.stopped) return;
    const view = this.rt.host.view(entry) as AgentView;
    const id = entry.id;
    if (view.state === 'destroyed') return this.forget(id);
    if (view.next_pulse_at !== null) this.timers.arm(`pulse:${id}`, view.next_pulse_at, () => this.later(() => this.pulseDue(id)));
    else this.timers.cancel(`pulse:${id}`);
    if (view.deadman_at !== null) this.timers.arm(`deadman:${id}`, view.deadman_at, () => this.later(() => this.deadmanDue(id)));
    else this.timers.cancel(`deadman:${id}`);
  }

  /** Timer callbacks run outside the code that armed them (a commit listener, a clock advance). */
  private later(fn: () => Promise<void>): void {
    queueMicrotask(() => {
      if (this.stopped) return;
      fn().catch((err: unknown) => this.rt.log.error({ err: String(err) }, 'scheduled work failed'));
    });
  }

  private async pulseDue(instanceId: string): Promise<void> {
    await this.rt.runInternal((unit) => {
      const agent = this.rt.host.find(instanceId);
      if (!agent || this.inflight.has(instanceId)) return;
      const ctx = this.rt.host.snapshot(agent).context as AgentContext;
      if (ctx.next_pulse_at === null || unit.now < ctx.next_pulse_at) return;
      this.startPulse(unit, agent, ctx.next_pulse_at, false);
    });
  }

  /**
   * Starts a pulse in `unit`: `pulse_start` with a fresh pulse_id and the following slot, a
   * `pulses` row `delivering`, and delivery once committed. `manual` (pulse_now) refuses with
   * ILLEGAL_TRANSITION where a scheduled pulse silently waits for the state to allow it.
   */
  startPulse(unit: CommitUnit, agent: ResidentActor, scheduledFor: number, manual: boolean): void {
    const ctx = this.rt.host.snapshot(agent).context as AgentContext;
    const settings = this.rt.settings(agent.projectId);
    const slot = this.rt.agentExtras(agent.id).pulse_slot;
    const pulseId = randomUUID();
    const event = {
      type: 'pulse_start' as const,
      by: this.rt.runtimeBy,
      pulse_id: pulseId,
      at: unit.now,
      next_pulse_at: manual ? ctx.next_pulse_at : followingPulseAt(slot, settings.pulse_interval, unit.now),
    };
    if (!this.rt.host.can(agent, event)) {
      if (manual || this.inflight.has(agent.id)) this.rt.host.check(agent, event);
      return;
    }
    if (this.inflight.has(agent.id)) throw new MissionError('ILLEGAL_TRANSITION', `${agent.id} has a pulse in flight`, { state: 'pulsing', allowed: [] });
    this.rt.host.apply(unit, agent, event, 'agent.pulse_started', { pulse_id: pulseId, scheduled_for: scheduledFor, manual });
    unit.after.push((repos) => repos.pulses.start({ id: pulseId, projectId: agent.projectId, instanceId: agent.id, scheduledFor, at: unit.now }));
    unit.afterCommit.push(() => {
      const entry = this.rt.host.find(agent.id);
      if (entry && !this.stopped) this.deliver(entry, pulseId);
    });
  }

  private deliver(agent: ResidentActor, pulseId: string): void {
    const controller = new AbortController();
    const done = this.run(agent, pulseId, controller).finally(() => {
      if (this.inflight.get(agent.id)?.controller !== controller) return;
      this.inflight.delete(agent.id);
      // Stopped (shutdown or a killed node): the store may be closed already, and nothing is armed.
      if (this.stopped) return;
      // A slot that came while this pulse was in flight was skipped (one pulse at a time) and its
      // timer is spent: arm again from the agent's state now, or it would never pulse again.
      const entry = this.rt.host.find(agent.id);
      if (entry) this.arm(entry);
    });
    this.inflight.set(agent.id, { controller, done });
  }

  private async run(agent: ResidentActor, pulseId: string, controller: AbortController): Promise<void> {
    this.working++;
    try {
      await this.runPulse(agent, pulseId, controller);
    } finally {
      this.working--;
    }
  }

  private async runPulse(agent: ResidentActor, pulseId: string, controller: AbortController): Promise<void> {
    const { rt } = this;
    const ctx = rt.host.snapshot(agent).context as AgentContext;
    const settings = rt.settings(agent.projectId);
    const startedAt = rt.clock.now();
    const deadline = startedAt + settings.pulse_timeout * 1000;
    let timedOut = false;
    const timeoutKey = `timeout:${pulseId}`;
    this.timers.arm(timeoutKey, deadline, () => {
      timedOut = true;
      controller.abort(new MissionError('TIMEOUT', `pulse ${pulseId} exceeded pulse_timeout`));
    });
    const ref = { id: agent.id, soulId: ctx.soul_id, projectId: ctx.project_id, soulVersion: ctx.soul_version };
    const notifications = rt.repos.messages.pending(agent.id);
    let outcome: PulseOutcome;
    try {
      const { driver, name } = rt.driverFor(agent.projectId, ctx.soul_id);
      if (!driver) throw new MissionError('DRIVER_UNAVAILABLE', `no driver named ${name}`);
      const task = ctx.current_task_id ? (rt.repos.tasks.get(ctx.current_task_id) ?? null) : null;
      const state = {
        pulse_id: pulseId,
        project_id: agent.projectId,
        instance: rt.host.view(agent) as AgentView,
        task: task as TaskView | null,
        recent_task_events: task ? rt.repos.taskEvents.latest(task.id, 5) : [],
        notifications: notifications.map((n) => ({ id: n.id, kind: n.kind, body: n.body, task_id: n.task_id })),
      };
      const prompt = await rt.files.buildPulsePrompt(state);
      const credentials = rt.options.pulseCredentials?.(agent.id, pulseId, deadline);
      this.working--;
      try {
        outcome = await driver.deliverPulse(ref, prompt, {
          pulseId,
          timeoutMs: Math.max(0, deadline - rt.clock.now()),
          signal: controller.signal,
          ...(credentials ? { credentials } : {}),
        });
      } finally {
        this.working++;
      }
    } catch (err) {
      const code = err instanceof MissionError ? err.code : 'DRIVER_UNAVAILABLE';
      outcome = { status: 'failed', error: { code, message: err instanceof Error ? err.message : String(err), transient: !(err instanceof MissionError) || err.severity === 'transient' } };
    } finally {
      this.timers.cancel(timeoutKey);
    }
    // What the agent printed before it was stopped still goes to the daily log.
    const output = outcome.output;
    if (timedOut) outcome = { status: 'timeout', output };
    else if (controller.signal.aborted && outcome.status === 'ok') outcome = { status: 'aborted', output };
    if (this.stopped) return;
    const status = outcome.status;
    const error = outcome.status === 'failed' ? `${outcome.error.code}: ${outcome.error.message}` : null;
    const lastNotification = notifications[notifications.length - 1];
    await rt.runInternal((unit) => {
      unit.after.push((repos) => {
        repos.pulses.finish(pulseId, status, unit.now, error);
        if (status === 'ok' && lastNotification) repos.messages.markDelivered(agent.id, lastNotification.id, unit.now);
      });
      const entry = rt.host.find(agent.id);
      const end = { type: 'pulse_end' as const, by: rt.runtimeBy, pulse_id: pulseId, at: unit.now, outcome: status };
      if (entry && rt.host.can(entry, end)) rt.host.apply(unit, entry, end, 'agent.pulse_finished', { pulse_id: pulseId, outcome: status, error });
    });
    if (timedOut) await rt.drivers.get(rt.agentExtras(agent.id).driver)?.abort(ref);
    // The pulse is committed; a daily log that cannot take the entry (disk full, over its size
    // limit) is logged, never a rejection nobody awaits (it would end the process).
    await rt.files
      .appendDaily(agent.projectId, { instance_id: agent.id, pulse_id: pulseId, outcome: status, at: rt.clock.now(), error, output })
      .catch((err: unknown) => rt.log.warn({ err: String(err), instance_id: agent.id, pulse_id: pulseId }, 'daily log entry not written'));
  }

  /** Deadman (SPEC §4): the instance loses its task, both in ONE commit; it keeps its schedule. */
  private async deadmanDue(instanceId: string): Promise<void> {
    const { rt } = this;
    let ref: { id: string; soulId: string; projectId: string; soulVersion: number } | null = null;
    await rt.runInternal((unit) => {
      const agent = rt.host.find(instanceId);
      if (!agent) return;
      const ctx = rt.host.snapshot(agent).context as AgentContext;
      if (ctx.current_task_id === null || ctx.deadman_at === null || unit.now < ctx.deadman_at) return;
      const expire = { type: 'deadman_expire' as const, by: rt.runtimeBy, at: unit.now };
      if (!rt.host.can(agent, expire)) return;
      const task = rt.host.find(ctx.current_task_id);
      const taskExpire = { type: 'deadman_expire' as const, by: rt.runtimeBy };
      const detail = { instance_id: instanceId, task_id: ctx.current_task_id, deadman_at: ctx.deadman_at, last_seen_at: ctx.last_seen_at };
      rt.host.apply(unit, agent, expire, 'agent.expired', detail);
      if (task && rt.host.can(task, taskExpire)) rt.host.apply(unit, task, taskExpire, 'task.deadman_expired', detail);
      // A human may have started a second task for this assignee: the instance holds only one,
      // but a silent instance loses all its in-progress work, or the other would never expire.
      for (const otherId of rt.repos.tasks.inProgressOf(ctx.project_id, ctx.soul_id)) {
        const other = otherId === ctx.current_task_id ? undefined : rt.host.find(otherId);
        if (other && rt.host.can(other, taskExpire)) rt.host.apply(unit, other, taskExpire, 'task.deadman_expired', { ...detail, task_id: otherId });
      }
      ref = { id: instanceId, soulId: ctx.soul_id, projectId: ctx.project_id, soulVersion: ctx.soul_version };
    });
    if (ref) {
      const r: { id: string; soulId: string; projectId: string; soulVersion: number } = ref;
      this.inflight.get(instanceId)?.controller.abort(new MissionError('TIMEOUT', 'deadman expired'));
      await rt.driverFor(r.projectId, r.soulId).driver?.abort(r);
    }
  }
}
