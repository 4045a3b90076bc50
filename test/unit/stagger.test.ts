import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDriver } from '../../src/actors/index.js';
import { ManualClock } from '../../src/core/index.js';
import { RecordingDriver } from '../support/recording-driver.js';
import { openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

const T0 = Date.UTC(2026, 0, 1); // a minute boundary
const INTERVAL = 60;
const N = 100;

const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function boot(clock: ManualClock, driver: RecordingDriver, dir?: string): Promise<RuntimeFixture> {
  const f = await openRuntime({ clock, drivers: new Map<string, AgentDriver>([['simulated', driver]]), groupCommit: { maxDelayMs: 1 } }, dir);
  open.push(f);
  return f;
}

/** Advances the manual clock second by second, letting each second's commits land. */
async function run(f: RuntimeFixture, clock: ManualClock, seconds: number): Promise<void> {
  const settle = async (): Promise<void> => {
    await sleep(2);
    await f.rt.settled();
  };
  clock.advance(0); // deadlines due right now (a slot at the current second)
  await settle();
  for (let i = 0; i < seconds; i++) {
    clock.advance(1000);
    await settle();
  }
}

interface PulseRow {
  instance_id: string;
  scheduled_for: number;
  started_at: number;
  status: string;
}

/** SPEC §4 written independently: slot = first 4 bytes of sha256(id) mod interval. */
function hashSlot(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % INTERVAL;
}

describe('pulse stagger', () => {
  it('spreads 100 instances over a 60 s interval with at most 2 per second, stable across restarts', async () => {
    const clock = new ManualClock(T0);
    const driver = new RecordingDriver();
    const f = await boot(clock, driver);
    const souls = Array.from({ length: N }, (_, i) => `soul-${i}`);
    for (const s of souls) await f.exec('soul.create', { soul_id: s, name: s });
    await f.exec('project.init', { project_name: 'Fleet', base_id: souls, settings: { pulse_interval: INTERVAL } });

    const slots = new Map(
      (f.store.db.prepare('SELECT id, pulse_slot FROM agent_instances').all() as { id: string; pulse_slot: number }[]).map((r) => [r.id, r.pulse_slot]),
    );
    expect(slots.size).toBe(N);
    const perSecond = new Map<number, number>();
    for (const s of slots.values()) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(INTERVAL);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(Math.ceil(N / INTERVAL));
    // The first instance lands on its hash slot (nothing occupied yet).
    expect(slots.get('soul-0:fleet')).toBe(hashSlot('soul-0:fleet'));

    // One minute (seconds 0…59): every instance pulses exactly once, on its own second.
    await run(f, clock, INTERVAL - 1);
    let pulses = f.store.db.prepare('SELECT instance_id, scheduled_for, started_at, status FROM pulses').all() as PulseRow[];
    expect(pulses).toHaveLength(N);
    for (const p of pulses) {
      expect(Math.floor(p.started_at / 1000) % INTERVAL).toBe(slots.get(p.instance_id));
      expect(p.status).toBe('ok');
    }
    const startedPerSecond = new Map<number, number>();
    for (const p of pulses) startedPerSecond.set(Math.floor(p.started_at / 1000), (startedPerSecond.get(Math.floor(p.started_at / 1000)) ?? 0) + 1);
    expect(Math.max(...startedPerSecond.values())).toBeLessThanOrEqual(2);

    // Restart mid-interval: slots do not move, no pulse is repeated or skipped.
    await run(f, clock, 30);
    await f.close();
    open.pop();
    const g = await boot(clock, driver, f.dir);
    await run(g, clock, 90); // up to second 179
    const after = new Map(
      (g.store.db.prepare('SELECT id, pulse_slot FROM agent_instances').all() as { id: string; pulse_slot: number }[]).map((r) => [r.id, r.pulse_slot]),
    );
    expect(after).toEqual(slots);
    pulses = g.store.db.prepare('SELECT instance_id, scheduled_for, started_at, status FROM pulses ORDER BY started_at').all() as PulseRow[];
    // Seconds 0…179: exactly three pulses per instance, one per minute, each on its slot.
    expect(pulses).toHaveLength(3 * N);
    const byInstance = new Map<string, number[]>();
    for (const p of pulses) byInstance.set(p.instance_id, [...(byInstance.get(p.instance_id) ?? []), p.started_at]);
    for (const [id, times] of byInstance) {
      const slot = slots.get(id)!;
      expect(times).toEqual([0, 1, 2].map((m) => T0 + (m * INTERVAL + slot) * 1000));
    }
  }, 60_000); // 100 instances × 120 simulated seconds with real workspace prompts: slow on a loaded machine

  it('coalesces the pulses missed while the server was down into one', async () => {
    const clock = new ManualClock(T0);
    const driver = new RecordingDriver();
    const f = await boot(clock, driver);
    for (const s of ['a', 'b', 'c']) await f.exec('soul.create', { soul_id: s, name: s });
    await f.exec('project.init', { project_name: 'Down', base_id: ['a', 'b', 'c'], settings: { pulse_interval: INTERVAL } });
    await run(f, clock, INTERVAL);
    const count = (): number => (f.store.db.prepare('SELECT count(*) AS n FROM pulses').get() as { n: number }).n;
    expect(count()).toBe(3);
    await f.close();
    open.pop();
    clock.advance(10 * 60_000); // ten minutes down: ten pulses per instance missed
    const g = await boot(clock, driver, f.dir);
    await run(g, clock, 1);
    const rows = g.store.db.prepare('SELECT instance_id, started_at FROM pulses ORDER BY started_at').all() as { instance_id: string; started_at: number }[];
    expect(rows).toHaveLength(6);
    expect(new Set(rows.slice(3).map((r) => r.instance_id)).size).toBe(3);
    // And then back on the slot schedule, not every second.
    await run(g, clock, 30);
    const afterHalfMinute = (g.store.db.prepare('SELECT count(*) AS n FROM pulses').get() as { n: number }).n;
    const slots = g.store.db.prepare('SELECT id, pulse_slot, next_pulse_at FROM agent_instances').all() as { pulse_slot: number; next_pulse_at: number }[];
    // The restart happened on a minute boundary; in the next 30 s only slots 1…30 pulse again.
    expect(afterHalfMinute).toBe(6 + slots.filter((s) => s.pulse_slot >= 1 && s.pulse_slot <= 30).length);
    for (const s of slots) expect(Math.floor(s.next_pulse_at / 1000) % INTERVAL).toBe(s.pulse_slot);
  });
});
