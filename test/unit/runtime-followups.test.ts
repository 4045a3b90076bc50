import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EffectQueue, groupAlive, type AgentDriver, type RuntimeLogger } from '../../src/actors/index.js';
import { ManualClock, processIdentity, type AgentView, type TaskView } from '../../src/core/index.js';
import { Workspace, createProjectFiles } from '../../src/workspace/index.js';
import { RecordingDriver } from '../support/recording-driver.js';
import { agentBy, errorCode, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';

const open: RuntimeFixture[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A logger that keeps what it is told (errors must not appear). */
function recordingLogger(): RuntimeLogger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, info: () => undefined, warn: () => undefined, error: (obj, msg) => void errors.push(`${msg ?? ''} ${JSON.stringify(obj)}`) };
}

async function squad(f: RuntimeFixture, souls: string[], projectName = 'Vanguard'): Promise<void> {
  for (const s of souls) await f.exec('soul.create', { soul_id: s, name: s });
  await f.exec('project.init', { project_name: projectName, base_id: souls });
}

describe('EffectQueue', () => {
  it('runs one project’s effects in queue order, other projects alongside, and reports failures', async () => {
    const errors: unknown[] = [];
    const q = new EffectQueue((err) => errors.push(err));
    const log: string[] = [];
    let releaseSlow!: () => void;
    const slow = new Promise<void>((r) => (releaseSlow = r));
    void q.run(['a'], [async () => { await slow; log.push('a1'); }]);
    void q.run(['a'], [() => { log.push('a2'); throw new Error('boom'); }, () => void log.push('a3')]);
    void q.run(['b'], [() => void log.push('b1')]);
    await sleep(5);
    expect(log).toEqual(['b1']);
    releaseSlow();
    await q.idle();
    expect(log).toEqual(['b1', 'a1', 'a2', 'a3']);
    expect(errors).toHaveLength(1);
    expect(q.size).toBe(0);
  });
});

describe('runtime follow-ups', () => {
  it('creates the project folder before the first KANBAN.md render, and stop waits for the last render', async () => {
    const logger = recordingLogger();
    const f = await openRuntime({ logger, scheduling: false });
    open.push(f);
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    // Tasks committed in the same batches as the project creation: their renders queue behind it.
    const init = f.exec('project.init', { project_name: 'Vanguard', base_id: ['shuri'] });
    const creates = Array.from({ length: 20 }, (_, i) => f.exec('task.create', { project_id: 'vanguard', title: `Task number ${i + 1}` }));
    await Promise.all([init, ...creates]);
    await f.close();
    expect(logger.errors).toEqual([]);
    const md = readFileSync(join(f.dir, 'projects', 'vanguard', 'KANBAN.md'), 'utf8');
    for (let i = 1; i <= 20; i++) expect(md).toContain(`Task number ${i}`);
    expect(existsSync(join(f.dir, 'projects', 'vanguard', 'agents', 'shuri'))).toBe(true);
  });

  it('writes SOUL.md on soul create and update, archives agent files on destroy and the project folder on delete', async () => {
    const f = await openRuntime({ scheduling: false });
    open.push(f);
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri', soul_md: '# Shuri v1' });
    await f.rt.settled();
    const soulFile = join(f.dir, 'souls', 'shuri', 'SOUL.md');
    expect(readFileSync(soulFile, 'utf8')).toContain('# Shuri v1');
    await f.exec('soul.update', { soul_id: 'shuri', soul_md: '# Shuri v2' });
    await f.rt.settled();
    expect(readFileSync(soulFile, 'utf8')).toContain('# Shuri v2');

    await f.exec('project.init', { project_name: 'Vanguard', base_id: ['shuri'] });
    await f.rt.settled();
    const agentDir = join(f.dir, 'projects', 'vanguard', 'agents', 'shuri');
    expect(existsSync(agentDir)).toBe(true);
    await f.exec('agent.destroy', { instance_id: 'shuri:vanguard' });
    await f.rt.settled();
    expect(existsSync(agentDir)).toBe(false);
    expect(readdirSync(join(f.dir, 'projects', 'vanguard', 'agents', '.archived')).some((n) => n.startsWith('shuri'))).toBe(true);

    await f.exec('project.delete', { project_id: 'vanguard' });
    await f.rt.settled();
    expect(existsSync(join(f.dir, 'projects', 'vanguard'))).toBe(false);
    expect(readdirSync(join(f.dir, 'projects', '.deleted')).some((n) => n.startsWith('vanguard-'))).toBe(true);
  });

  it('releases a destroyed instance’s in-progress task to the backlog without counting an attempt', async () => {
    const f = await openRuntime({ scheduling: false });
    open.push(f);
    await squad(f, ['shuri']);
    await f.exec('project.init', { project_name: 'Other', project_id: 'other', settings: { max_attempts: 1 } });
    await f.exec('agent.create', { project_id: 'other', soul_id: 'shuri' });
    for (const project of ['vanguard', 'other']) {
      await f.exec('task.create', { project_id: project, title: 'Hold me', assignee_id: 'shuri' });
      await f.exec('task.move', { task_id: `${project}-1`, new_status: 'in_progress' }, agentBy('shuri', project));
      await f.exec('agent.destroy', { instance_id: `shuri:${project}` });
      // With max_attempts 1 a deadman expiry would have blocked the task: a release never does.
      expect(f.rt.repos.tasks.get(`${project}-1`)).toMatchObject({ status: 'backlog', attempts: 0, assignee_id: null });
      const moved = f.store.db.prepare(`SELECT payload FROM events WHERE actor_id = ? AND type = 'task.moved' ORDER BY seq DESC LIMIT 1`).get(`${project}-1`) as { payload: string };
      expect(JSON.parse(moved.payload)).toMatchObject({ event: { type: 'release' }, by: { kind: 'runtime' }, state_value: 'backlog' });
    }
  });

  it('addresses messages and mentions with the workspace rules and delivers them on the next ok pulse', async () => {
    const clock = new ManualClock();
    const driver = new RecordingDriver();
    const f = await openRuntime({ clock, drivers: new Map<string, AgentDriver>([['simulated', driver]]) });
    open.push(f);
    await squad(f, ['shuri', 'jarvis', 'wanda']);
    const shuri = agentBy('shuri', 'vanguard');
    const sent = (await f.exec('message.send', { to: 'jarvis', text: 'Ping @wanda and @Shuri and @nobody, not `@vision`' }, shuri)) as { recipients: string[] };
    // jarvis is addressed, wanda mentioned; the author's own mention and unknown names are not.
    expect(sent.recipients).toEqual(['jarvis:vanguard', 'wanda:vanguard']);
    const pending = (id: string): { kind: string; delivered_at: number | null }[] =>
      f.store.db.prepare('SELECT kind, delivered_at FROM notifications WHERE recipient = ? ORDER BY id').all(id) as never;
    expect(pending('jarvis:vanguard')).toEqual([{ kind: 'message', delivered_at: null }]);
    expect(pending('wanda:vanguard')).toEqual([{ kind: 'mention', delivered_at: null }]);
    expect(pending('shuri:vanguard')).toEqual([]);
    expect(await errorCode(f.exec('message.send', { to: 'shuri', text: 'note to self' }, shuri))).toBe('INVALID_INPUT');
    expect(await errorCode(f.exec('message.send', { to: 'vision', text: 'hello' }, shuri))).toBe('NOT_FOUND');

    await f.exec('agent.pulse_now', { instance_id: 'wanda:vanguard' });
    await f.rt.settled();
    expect(driver.deliveries.map((d) => d.instanceId)).toEqual(['wanda:vanguard']);
    expect(driver.deliveries[0]!.prompt).toContain('Ping @wanda');
    expect(pending('wanda:vanguard')[0]!.delivered_at).not.toBeNull();
    expect(pending('jarvis:vanguard')[0]!.delivered_at).toBeNull();
  });

  it('subscribes commenters, assignees and the mentioned to a task thread and notifies the other subscribers', async () => {
    const f = await openRuntime({ scheduling: false });
    open.push(f);
    await squad(f, ['shuri', 'jarvis', 'wanda']);
    await f.exec('task.create', { project_id: 'vanguard', title: 'Thread', assignee_id: 'shuri' });
    const subscribers = (): Record<string, string> =>
      Object.fromEntries((f.store.db.prepare('SELECT subscriber, reason FROM subscriptions WHERE task_id = ?').all('vanguard-1') as { subscriber: string; reason: string }[]).map((r) => [r.subscriber, r.reason]));
    const notes = (): string[] =>
      (f.store.db.prepare('SELECT recipient, kind FROM notifications WHERE task_id = ? ORDER BY id').all('vanguard-1') as { recipient: string; kind: string }[]).map((n) => `${n.recipient} ${n.kind}`);
    expect(subscribers()).toEqual({ 'shuri:vanguard': 'assigned' });

    await f.exec('task.comment', { task_id: 'vanguard-1', text: 'Looping in @jarvis' });
    expect(subscribers()).toEqual({ 'shuri:vanguard': 'assigned', 'user:1': 'commented', 'jarvis:vanguard': 'mentioned' });
    expect(notes()).toEqual(['jarvis:vanguard mention', 'shuri:vanguard comment']);

    await f.exec('task.comment', { task_id: 'vanguard-1', text: 'On it' }, agentBy('jarvis', 'vanguard'));
    // The author is not told about its own comment; humans follow the live feed instead.
    expect(notes().slice(2)).toEqual(['shuri:vanguard comment']);

    await f.exec('task.assign', { task_id: 'vanguard-1', assignee_id: 'wanda' });
    expect(subscribers()['wanda:vanguard']).toBe('assigned');
  });

  it('records a command agent’s process group, forgets it on exit, and ends groups left by a crash at start', async () => {
    const f = await openRuntime({ scheduling: false });
    open.push(f);
    await squad(f, ['shuri', 'jarvis']);
    f.rt.processStarted({ instanceId: 'shuri:vanguard', pulseId: 'p1', pid: 4242, pgid: 4242, identity: null });
    expect(f.rt.repos.agents.get('shuri:vanguard')!.pgid).toBe(4242);
    f.rt.processExited({ instanceId: 'shuri:vanguard', pulseId: 'p1', pid: 4242, pgid: 4242, identity: null });
    expect(f.rt.repos.agents.get('shuri:vanguard')!.pgid).toBeNull();

    // A real program in its own process group, recorded as running when the server "crashed".
    const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const pgid = child.pid!;
    try {
      f.rt.processStarted({ instanceId: 'jarvis:vanguard', pulseId: 'p2', pid: pgid, pgid, identity: processIdentity(pgid) });
      await f.close();
      expect(groupAlive(pgid)).toBe(true);
      const restarted = await openRuntime({ scheduling: false }, f.dir);
      open.push(restarted);
      for (let i = 0; i < 100 && restarted.rt.repos.agents.get('jarvis:vanguard')!.pgid !== null; i++) await sleep(20);
      expect(restarted.rt.repos.agents.get('jarvis:vanguard')!.pgid).toBeNull();
      expect(child.exitCode !== null || child.signalCode !== null || !groupAlive(pgid)).toBe(true);
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  });

  it('at start, leaves alone a recorded group whose number now belongs to another process (reboot, pid reuse)', async () => {
    const f = await openRuntime({ scheduling: false });
    open.push(f);
    await squad(f, ['shuri', 'jarvis']);
    // Two live groups that this "server" did not start: the stored identities say another boot,
    // and this boot but a leader started at another time.
    const strangers = [spawn('sleep', ['60'], { detached: true, stdio: 'ignore' }), spawn('sleep', ['60'], { detached: true, stdio: 'ignore' })];
    const [a, b] = strangers.map((c) => c.pid!) as [number, number];
    const own = processIdentity(b)!;
    const [boot, start] = own.split(':') as [string, string];
    try {
      f.rt.processStarted({ instanceId: 'shuri:vanguard', pulseId: 'p1', pid: a, pgid: a, identity: `another-boot:${start}` });
      f.rt.processStarted({ instanceId: 'jarvis:vanguard', pulseId: 'p2', pid: b, pgid: b, identity: `${boot}:${Number(start) - 100}` });
      await f.close();
      const restarted = await openRuntime({ scheduling: false }, f.dir);
      open.push(restarted);
      await sleep(300);
      expect(groupAlive(a)).toBe(true);
      expect(groupAlive(b)).toBe(true);
      expect(restarted.rt.repos.agents.get('shuri:vanguard')!.pgid).toBeNull();
      expect(restarted.rt.repos.agents.get('jarvis:vanguard')!.pgid).toBeNull();
    } finally {
      for (const pid of [a, b]) if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    }
  });

  it('kills the process group of an instance it destroys', async () => {
    const f = await openRuntime({ scheduling: false });
    open.push(f);
    await squad(f, ['shuri']);
    const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const pgid = child.pid!;
    const exited = new Promise<string | null>((r) => child.once('exit', (_c, signal) => r(signal)));
    try {
      f.rt.processStarted({ instanceId: 'shuri:vanguard', pulseId: 'p1', pid: pgid, pgid, identity: processIdentity(pgid) });
      await f.exec('agent.destroy', { instance_id: 'shuri:vanguard' });
      expect(await exited).toBe('SIGTERM');
      await f.rt.settled();
      expect(f.rt.repos.agents.get('shuri:vanguard')!.pgid).toBeNull();
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
  });

  it('applies reloaded defaults and limits to new deadlines and checks, refusing a reload that breaks the deadman rule', async () => {
    const clock = new ManualClock();
    const f = await openRuntime({ clock, scheduling: false, defaults: { pulse_interval: 60, pulse_timeout: 120, deadman_timeout: 300 } });
    open.push(f);
    await squad(f, ['shuri']);
    await f.exec('project.init', { project_name: 'Fixed', project_id: 'fixed', settings: { deadman_timeout: 400 } });
    await f.exec('task.create', { project_id: 'vanguard', title: 'Before', assignee_id: 'shuri' });
    await f.exec('task.move', { task_id: 'vanguard-1', new_status: 'in_progress' }, agentBy('shuri', 'vanguard'));
    expect(f.rt.repos.agents.get('shuri:vanguard')!.deadman_at).toBe(clock.now() + 300_000);

    // 2 × 60 + 120 = 240 > 200: refused, nothing changes.
    expect(await errorCode(Promise.resolve().then(() => f.rt.updateSettings({ defaults: { pulse_interval: 60, pulse_timeout: 120, deadman_timeout: 200 } })))).toBe('INVALID_INPUT');
    expect(f.rt.settings('vanguard').deadman_timeout).toBe(300);

    f.rt.updateSettings({ defaults: { pulse_interval: 60, pulse_timeout: 120, deadman_timeout: 900 }, limits: { max_projects: 2 } });
    expect(f.rt.settings('vanguard').deadman_timeout).toBe(900);
    expect(f.rt.settings('fixed').deadman_timeout).toBe(400); // set explicitly at creation
    clock.advance(10_000);
    await f.exec('control.log_event', { thought: 'alive', action: 'typing' }, agentBy('shuri', 'vanguard'));
    expect((f.rt.repos.agents.get('shuri:vanguard') as unknown as AgentView).deadman_at).toBe(clock.now() + 900_000);
    expect(await errorCode(f.exec('project.init', { project_name: 'Third' }))).toBe('LIMIT_EXCEEDED');
    expect((f.rt.repos.tasks.get('vanguard-1') as TaskView).status).toBe('in_progress');
  });

  it('makes an operator’s settings change explicit (kept across a restart), refusing one that breaks the deadman rule', async () => {
    const f = await openRuntime({ scheduling: false });
    open.push(f);
    await squad(f, ['shuri']);
    const send = (settings: object): Promise<unknown> => f.exec('inspect.send', { actor_id: 'vanguard', event: { type: 'settings_changed', settings } });
    expect(await errorCode(send({ deadman_timeout: 100 }))).toBe('INVALID_INPUT');
    expect(await errorCode(send({ pulse_interval: 'often' }))).toBe('INVALID_INPUT');
    expect(f.rt.settings('vanguard').deadman_timeout).toBe(300);
    await send({ pulse_interval: 30, deadman_timeout: 400 });
    expect(f.rt.settings('vanguard')).toMatchObject({ pulse_interval: 30, deadman_timeout: 400 });
    f.rt.updateSettings({ defaults: { pulse_interval: 90, pulse_timeout: 120, deadman_timeout: 600 } });
    expect(f.rt.settings('vanguard')).toMatchObject({ pulse_interval: 30, deadman_timeout: 400, pulse_timeout: 120 });
    await f.close();
    const g = await openRuntime({ scheduling: false }, f.dir);
    open.push(g);
    expect(g.rt.settings('vanguard')).toMatchObject({ pulse_interval: 30, deadman_timeout: 400 });
  });

  it('coalesces KANBAN.md renders of a busy board (at most one per 200 ms) and still writes the last state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-kanban-'));
    const files = createProjectFiles(new Workspace({ dataDir: dir }));
    const renders: number[] = [];
    const counted = { ...files, writeKanban: async (projectId: string, board: () => TaskView[]) => { renders.push(performance.now()); await files.writeKanban(projectId, board); } };
    const f = await openRuntime({ scheduling: false, files: counted }, dir);
    open.push(f);
    await squad(f, ['shuri']);
    const t0 = performance.now();
    for (let i = 1; i <= 60; i++) await f.exec('task.create', { project_id: 'vanguard', title: `Card ${i}` });
    const elapsed = performance.now() - t0;
    await f.rt.settled();
    expect(renders.length).toBeLessThanOrEqual(Math.ceil(elapsed / 200) + 2);
    // settled() writes a waiting render at once; the ones before it kept their distance.
    for (let k = 1; k < renders.length - 1; k++) expect(renders[k]! - renders[k - 1]!).toBeGreaterThanOrEqual(199);
    const md = readFileSync(join(dir, 'projects', 'vanguard', 'KANBAN.md'), 'utf8');
    for (let i = 1; i <= 60; i++) expect(md).toContain(`Card ${i}`);
  });
});

