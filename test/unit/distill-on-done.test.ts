import { afterEach, describe, expect, it } from 'vitest';
import type { AgentDriver } from '../../src/actors/index.js';
import { ManualClock } from '../../src/core/index.js';
import { RecordingDriver } from '../support/recording-driver.js';
import { agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

/**
 * SPEC §6: a task reaching done asks its agent to distill on its next pulse. Through the real
 * runtime on a real SQLite file: the notification row is written with the move, rides in the
 * `[NOTIFICATIONS]` section of the assignee's next pulse prompt, and is then marked delivered.
 */
const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

interface NotificationRow {
  recipient: string;
  kind: string;
  task_id: string | null;
  body: string;
  delivered_at: number | null;
}

const shuri = agentBy('shuri', 'vanguard');

async function squad(settings: Record<string, unknown> = {}): Promise<{ f: RuntimeFixture; driver: RecordingDriver }> {
  const driver = new RecordingDriver();
  const f = await openRuntime({ clock: new ManualClock(), drivers: new Map<string, AgentDriver>([['simulated', driver]]), scheduling: true });
  open.push(f);
  await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
  await f.exec('soul.create', { soul_id: 'jarvis', name: 'Jarvis', role: 'lead' });
  await f.exec('project.init', { project_name: 'Vanguard', base_id: ['shuri', 'jarvis'], settings });
  await f.exec('task.create', { project_id: 'vanguard', title: 'Wire the reactor', assignee_id: 'shuri' });
  await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' }, shuri);
  return { f, driver };
}

function distillRows(f: RuntimeFixture): NotificationRow[] {
  return f.store.db.prepare<[], NotificationRow>("SELECT recipient, kind, task_id, body, delivered_at FROM notifications WHERE kind = 'distill' ORDER BY id").all();
}

/** Pulses `instanceId` now and returns the prompt it was given, once its outcome is committed. */
async function pulse(f: RuntimeFixture, driver: RecordingDriver, instanceId: string): Promise<string> {
  const before = driver.deliveries.length;
  await f.exec('agent.pulse_now', { instance_id: instanceId });
  await f.rt.settled();
  const delivered = driver.deliveries.slice(before).filter((d) => d.instanceId === instanceId);
  expect(delivered).toHaveLength(1);
  return delivered[0]!.prompt;
}

function notificationsSection(prompt: string): string[] {
  const lines = prompt.split('\n');
  const start = lines.indexOf('[NOTIFICATIONS]') + 1;
  return lines.slice(start, lines.indexOf('', start));
}

describe('a task reaching done asks its agent to distill', () => {
  it('notifies the assignee when it submits without review, delivers it on the next pulse and marks it delivered', async () => {
    const { f, driver } = await squad();
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'done' }, shuri);

    const [row, ...more] = distillRows(f);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ recipient: 'shuri:vanguard', task_id: 'vanguard-1', delivered_at: null });
    expect(row!.body).toContain('distill_memory');

    const prompt = await pulse(f, driver, 'shuri:vanguard');
    expect(notificationsSection(prompt)).toEqual([`- [distill vanguard-1] ${row!.body}`]);
    expect(distillRows(f)[0]!.delivered_at).not.toBeNull();

    // Delivered once: the pulse after it carries no request.
    expect(notificationsSection(await pulse(f, driver, 'shuri:vanguard'))).toEqual(['none']);
  });

  it('notifies the assignee, not the approver, when a review is approved', async () => {
    const { f, driver } = await squad({ require_review: true });
    await expect(f.exec('task.move', { task_id: 'vanguard-1', new_status: 'done' }, shuri)).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'review' }, shuri);
    expect(distillRows(f)).toEqual([]);

    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'done' }, agentBy('jarvis', 'vanguard', true));
    expect(distillRows(f).map((r) => [r.recipient, r.task_id])).toEqual([['shuri:vanguard', 'vanguard-1']]);
    expect(notificationsSection(await pulse(f, driver, 'jarvis:vanguard'))).toEqual(['none']);
    expect(notificationsSection(await pulse(f, driver, 'shuri:vanguard'))[0]).toMatch(/^- \[distill vanguard-1\] /);
  });

  it('asks again when a reopened task is done a second time, and never for an unassigned task', async () => {
    const { f } = await squad();
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'done' }, shuri);
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'backlog' });
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' }, shuri);
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'done' }, shuri);
    await f.exec('task.create', { project_id: 'vanguard', title: 'Nobody owns this' });
    await f.exec('task.move', { task_id: 'vanguard-2', new_status: 'in_progress' });
    await f.exec('task.move', { task_id: 'vanguard-2', new_status: 'done' });
    expect(distillRows(f).map((r) => r.task_id)).toEqual(['vanguard-1', 'vanguard-1']);
  });
});
