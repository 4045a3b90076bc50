import { afterEach, describe, expect, it } from 'vitest';
import { DeadlineTimers, type AgentDriver } from '../../src/actors/index.js';
import { ManualClock, type Clock, type TaskView } from '../../src/core/index.js';
import { RecordingDriver } from '../support/recording-driver.js';
import { agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

const T0 = Date.UTC(2026, 0, 1);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

/** A clock whose first timer for a deadline goes off 500 ms early (a coarse or skewed timer). */
class EarlyClock implements Clock {
  inner = new ManualClock(T0);
  private readonly seen = new Set<number>();
  now(): number {
    return this.inner.now();
  }
  at(at: number, fn: () => void) {
    const early = !this.seen.has(at);
    this.seen.add(at);
    return this.inner.at(early ? at - 500 : at, fn);
  }
}

describe('durable deadlines', () => {
  it('never fires early and fires once, however often it is re-armed', () => {
    const clock = new EarlyClock();
    const timers = new DeadlineTimers(clock);
    const fired: number[] = [];
    timers.arm('k', T0 + 10_000, () => fired.push(clock.now()));
    timers.arm('k', T0 + 10_000, () => fired.push(clock.now())); // a restart re-arms the same deadline
    clock.inner.advance(9_600);
    expect(fired).toEqual([]);
    clock.inner.advance(300);
    expect(fired).toEqual([]);
    clock.inner.advance(10_000);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(T0 + 10_000);
  });

  it('fires a deadline already past at once, and a replaced deadline not at all', () => {
    const clock = new ManualClock(T0);
    const timers = new DeadlineTimers(clock);
    const fired: string[] = [];
    timers.arm('a', T0 + 1000, () => fired.push('a-old'));
    timers.arm('a', T0 + 5000, () => fired.push('a-new'));
    clock.advance(2000);
    expect(fired).toEqual([]);
    clock.advance(3000);
    expect(fired).toEqual(['a-new']);
    timers.arm('b', T0 - 1, () => fired.push('b'));
    clock.advance(0);
    expect(fired).toEqual(['a-new', 'b']);
  });
});

describe('deadman and pulses', () => {
  async function boot(clock: ManualClock, driver: RecordingDriver, dir?: string): Promise<RuntimeFixture> {
    const f = await openRuntime({ clock, drivers: new Map<string, AgentDriver>([['simulated', driver]]), groupCommit: { maxDelayMs: 1 } }, dir);
    open.push(f);
    return f;
  }
  async function settle(f: RuntimeFixture): Promise<void> {
    await sleep(2);
    await f.rt.settled();
  }
  async function advance(f: RuntimeFixture, clock: ManualClock, ms: number, step = 1000): Promise<void> {
    for (let done = 0; done < ms; done += step) {
      clock.advance(Math.min(step, ms - done));
      await settle(f);
    }
  }
  const settings = { pulse_interval: 60, pulse_timeout: 30, deadman_timeout: 300 };
  const shuri = agentBy('shuri', 'ops');

  async function working(f: RuntimeFixture): Promise<void> {
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    await f.exec('project.init', { project_name: 'Ops', base_id: ['shuri'], settings });
    await f.exec('task.create', { project_id: 'ops', title: 'Fix it', assignee_id: 'shuri' });
    await f.exec('task.move', { task_id: 'ops-1', new_status: 'in_progress' }, shuri);
  }

  function events(f: RuntimeFixture, type: string): { seq: number; ts: number; actor_id: string }[] {
    return f.store.db.prepare('SELECT seq, ts, actor_id FROM events WHERE type = ? ORDER BY seq').all(type) as { seq: number; ts: number; actor_id: string }[];
  }

  it('expires a silent instance at its deadline, not before, once, in one commit, and pulses it again', async () => {
    const clock = new ManualClock(T0);
    const driver = new RecordingDriver();
    const f = await boot(clock, driver);
    await working(f);
    expect(f.rt.repos.agents.get('shuri:ops')!.deadman_at).toBe(T0 + 300_000);
    await advance(f, clock, 100_000);
    await f.exec('control.log_event', { thought: 'still here', action: 'typing' }, shuri); // sign of life
    expect(f.rt.repos.agents.get('shuri:ops')!.deadman_at).toBe(T0 + 400_000);
    await advance(f, clock, 299_000);
    expect(f.rt.repos.tasks.get('ops-1')!.status).toBe('in_progress');
    expect(events(f, 'agent.expired')).toHaveLength(0);
    const batches: string[][] = [];
    f.rt.onCommitted((evts) => batches.push(evts.map((e) => e.type)));
    await advance(f, clock, 1000);
    const task = f.rt.repos.tasks.get('ops-1') as TaskView;
    expect(task.status).toBe('backlog');
    expect(task.attempts).toBe(1);
    const agentExpired = events(f, 'agent.expired');
    const taskExpired = events(f, 'task.deadman_expired');
    expect(agentExpired).toHaveLength(1);
    expect(taskExpired).toHaveLength(1);
    expect(agentExpired[0]!.ts).toBe(T0 + 400_000);
    // Both transitions in one commit, next to each other in the log.
    expect(Math.abs(taskExpired[0]!.seq - agentExpired[0]!.seq)).toBe(1);
    const together = batches.filter((b) => b.includes('agent.expired'));
    expect(together).toHaveLength(1);
    expect(together[0]).toContain('task.deadman_expired');
    const agent = f.rt.repos.agents.get('shuri:ops')!;
    expect(agent.state).toBe('expired');
    expect(agent.current_task_id).toBeNull();
    // Never twice, and the instance keeps pulsing on its slot.
    const pulsesBefore = driver.deliveries.length;
    await advance(f, clock, 120_000, 5000);
    expect(events(f, 'agent.expired')).toHaveLength(1);
    expect(driver.deliveries.length).toBeGreaterThan(pulsesBefore);
    expect(f.rt.repos.agents.get('shuri:ops')!.state).not.toBe('expired');
  });

  it('keeps a deadman armed across a restart: it fires after the restart at its deadline', async () => {
    const clock = new ManualClock(T0);
    const driver = new RecordingDriver();
    const f = await boot(clock, driver);
    await working(f);
    await advance(f, clock, 200_000, 5000);
    await f.close();
    open.pop();
    clock.advance(50_000); // down for 50 s; 50 s left on the deadman
    const g = await boot(clock, driver, f.dir);
    await settle(g);
    expect(g.rt.scheduler.armedAt('shuri:ops').deadman).toBe(T0 + 300_000);
    await advance(g, clock, 49_000);
    expect(g.rt.repos.tasks.get('ops-1')!.status).toBe('in_progress');
    await advance(g, clock, 1000);
    expect(g.rt.repos.tasks.get('ops-1')!.status).toBe('backlog');
    expect(events(g, 'agent.expired')).toHaveLength(1);
  });

  it('times out a pulse that does not finish, records it, and re-delivers a crashed pulse with the same id', async () => {
    const clock = new ManualClock(T0);
    const driver = new RecordingDriver();
    driver.hold = true;
    const f = await boot(clock, driver);
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    await f.exec('project.init', { project_name: 'Ops', base_id: ['shuri'], settings });
    await f.exec('agent.pulse_now', { instance_id: 'shuri:ops' });
    await settle(f);
    expect(driver.deliveries).toHaveLength(1);
    await advance(f, clock, 30_000);
    const first = f.rt.repos.pulses.get(driver.deliveries[0]!.pulseId)!;
    expect(first.status).toBe('timeout');
    expect(f.rt.repos.agents.get('shuri:ops')!.state).toBe('idle');

    // A pulse in flight when the process goes away stays `delivering` and comes back with its id.
    await f.exec('agent.pulse_now', { instance_id: 'shuri:ops' });
    await settle(f);
    const inFlight = driver.deliveries[1]!.pulseId;
    expect(f.rt.repos.pulses.get(inFlight)!.status).toBe('delivering');
    await f.close();
    open.pop();
    driver.hold = false;
    const g = await boot(clock, driver, f.dir);
    await settle(g);
    expect(driver.deliveries[2]!.pulseId).toBe(inFlight);
    const row = g.rt.repos.pulses.get(inFlight)!;
    expect(row.status).toBe('ok');
    expect(row.attempt).toBe(2);
    expect(g.rt.repos.agents.get('shuri:ops')!.state).toBe('idle');
  });

  it('keeps pulsing an instance whose pulse outlasted its next slot', async () => {
    const clock = new ManualClock(T0);
    const driver = new RecordingDriver();
    const f = await boot(clock, driver);
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    await f.exec('project.init', { project_name: 'Ops', base_id: ['shuri'], settings });
    await settle(f);
    // A manual pulse a second before the scheduled one, still running when that slot comes.
    const slotAt = f.rt.repos.agents.get('shuri:ops')!.next_pulse_at!;
    await advance(f, clock, slotAt - clock.now() - 1000);
    driver.hold = true;
    await f.exec('agent.pulse_now', { instance_id: 'shuri:ops' });
    await settle(f);
    const before = driver.deliveries.length;
    await advance(f, clock, 3000);
    expect(driver.deliveries).toHaveLength(before); // one pulse at a time
    // The daily log write after the pulse is slow (a busy disk): the pulse counts as in flight
    // until it is done, while its pulse_end commit has already re-armed the (past) slot.
    const files = f.rt.files;
    const appendDaily = files.appendDaily.bind(files);
    let diskDone = (): void => undefined;
    const disk = new Promise<void>((r) => (diskDone = r));
    files.appendDaily = async (...args) => {
      await disk;
      return appendDaily(...args);
    };
    driver.hold = false;
    driver.release();
    await sleep(50); // not settle(): that waits for the pulse, held by the disk
    clock.advance(1000); // the re-armed past slot goes off while the pulse still counts
    await sleep(20);
    diskDone();
    await settle(f);
    // The missed slot coalesces into one pulse now, and the schedule goes on from there.
    await advance(f, clock, 125_000, 5000);
    expect(driver.deliveries.length).toBeGreaterThanOrEqual(before + 3);
  });

  it('keeps a pulse whose daily log entry cannot be written: committed, the agent pulses on, no unhandled rejection', async () => {
    const clock = new ManualClock(T0);
    const f = await openRuntime({ clock, groupCommit: { maxDelayMs: 1 } });
    open.push(f);
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    await f.exec('project.init', { project_name: 'Ops', base_id: ['shuri'], settings });
    f.rt.files.appendDaily = () => Promise.reject(new Error('ENOSPC: no space left on device'));
    await f.exec('agent.pulse_now', { instance_id: 'shuri:ops' });
    await settle(f);
    // The pulse left flight and its end is committed (whatever the fixture's driver answered).
    expect(f.store.db.prepare('SELECT finished_at IS NOT NULL FROM pulses').pluck().all()).toEqual([1]);
    expect(f.rt.repos.agents.get('shuri:ops')!.state).toBe('idle');
    await f.exec('agent.pulse_now', { instance_id: 'shuri:ops' });
    await settle(f);
    expect(f.store.db.prepare('SELECT count(*) FROM pulses').pluck().get()).toBe(2);
  });

  it('records a failing driver as a failed pulse without disturbing the runtime', async () => {
    const clock = new ManualClock(T0);
    const broken: AgentDriver = {
      name: 'simulated',
      deliverPulse: () => Promise.reject(new Error('connection refused')),
      abort: () => Promise.resolve(),
      health: () => ({ ok: false, state: 'open' }),
    };
    const f = await openRuntime({ clock, drivers: new Map([['simulated', broken]]), groupCommit: { maxDelayMs: 1 } });
    open.push(f);
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    await f.exec('project.init', { project_name: 'Ops', base_id: ['shuri'], settings });
    await f.exec('agent.pulse_now', { instance_id: 'shuri:ops' });
    await settle(f);
    const rows = f.store.db.prepare('SELECT status, error FROM pulses').all() as { status: string; error: string }[];
    expect(rows).toEqual([{ status: 'failed', error: expect.stringContaining('connection refused') as unknown as string }]);
    expect(f.rt.repos.agents.get('shuri:ops')!.state).toBe('idle');
    expect(((await f.exec('task.create', { project_id: 'ops', title: 'still works' })) as TaskView).id).toBe('ops-1');
  });
});
