import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CommandDriver, withResilience, type AgentDriver, type CommandDriverConfig, type SpawnInfo } from '../../src/actors/drivers/index.js';
import { ManualClock } from '../../src/core/index.js';
import { agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';
import { liveGroupMembers, processRunning } from '../support/proc.js';

/**
 * The command driver through the whole runtime, with real programs under a manual clock: what a
 * program prints reaches the project's daily log whatever the pulse's end (ok, failed, timed
 * out), and a program still running when the deadman expires its instance is killed with every
 * process of its group, children that ignore SIGTERM included.
 */
const T0 = Date.UTC(2026, 0, 1);
let dir: string;
const spawned: SpawnInfo[] = [];
const open: RuntimeFixture[] = [];

function program(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

async function waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function boot(clock: ManualClock, config: CommandDriverConfig, scheduling: boolean): Promise<RuntimeFixture> {
  const driver = withResilience(new CommandDriver(config, { onSpawn: (info) => spawned.push(info) }), {
    retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxTotalMs: 0 },
  });
  const f = await openRuntime({ clock, scheduling, drivers: new Map<string, AgentDriver>([['command', driver]]), groupCommit: { maxDelayMs: 1 } });
  open.push(f);
  return f;
}

/** The instance's first pulse. */
function pulseOf(f: RuntimeFixture, instanceId: string): { id: string; status: string } {
  return f.store.db.prepare('SELECT id, status FROM pulses WHERE instance_id = ? ORDER BY rowid LIMIT 1').get(instanceId) as { id: string; status: string };
}

function daily(f: RuntimeFixture, projectId: string): string {
  const file = join(f.dir, 'projects', projectId, 'daily', '2026-01-01.md');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-cmd-rt-'));
});
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
  // Whatever a test started must not outlive it.
  for (const info of spawned.splice(0)) for (const pid of liveGroupMembers(info.pgid)) process.kill(pid, 'SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('command driver through the runtime', () => {
  it('writes what the program printed to daily/YYYY-MM-DD.md for ok, failed and timed-out pulses, the end of a long output with a marker', async () => {
    const agent = program(
      'agent.sh',
      [
        'cat > /dev/null',
        'case "$MC_INSTANCE" in',
        '  echo:*) echo "reviewed the reactor wiring"; echo "## not a heading"; echo "all good" ;;',
        '  crash:*) echo "tried the build"; echo "error: missing header" >&2; exit 3 ;;',
        '  hang:*) echo "started a long job"; touch "$MARK_DIR/hang.started"; exec sleep 300 ;;',
        '  chatty:*) i=0; while [ $i -lt 2000 ]; do echo "line $i of a long report"; i=$((i+1)); done ;;',
        'esac',
      ].join('\n'),
    );
    const clock = new ManualClock(T0);
    const f = await boot(clock, { command: agent, env: { MARK_DIR: dir }, killGraceMs: 500 }, false);
    for (const soul of ['echo', 'crash', 'hang', 'chatty']) await f.exec('soul.create', { soul_id: soul, name: soul });
    await f.exec('project.init', { project_name: 'Ops', project_id: 'ops', base_id: ['echo', 'crash', 'hang', 'chatty'], settings: { driver: 'command', pulse_timeout: 30 } });
    for (const soul of ['echo', 'crash', 'hang', 'chatty']) await f.exec('agent.pulse_now', { instance_id: `${soul}:ops` });

    await waitFor(() => ['echo:ops', 'crash:ops', 'chatty:ops'].every((id) => pulseOf(f, id).status !== 'delivering') && existsSync(join(dir, 'hang.started')), 'the first pulses');
    clock.advance(30_000); // the hanging program's pulse_timeout
    await waitFor(() => pulseOf(f, 'hang:ops').status !== 'delivering', 'the timed-out pulse');
    await f.rt.settled();
    await waitFor(() => daily(f, 'ops').includes(`pulse ${pulseOf(f, 'hang:ops').id}`), 'the daily entry of the timed-out pulse');

    const log = daily(f, 'ops');
    expect(pulseOf(f, 'echo:ops').status).toBe('ok');
    expect(log).toContain(`pulse ${pulseOf(f, 'echo:ops').id}: ok\n\n    reviewed the reactor wiring\n    ## not a heading\n    all good\n`);
    expect(pulseOf(f, 'crash:ops').status).toBe('failed');
    expect(log).toContain(`pulse ${pulseOf(f, 'crash:ops').id}: failed (DRIVER_RUN_FAILED: ${agent}: exit code 3)\n\n    tried the build\n    [stderr]\n    error: missing header\n`);
    expect(pulseOf(f, 'hang:ops').status).toBe('timeout');
    expect(log).toContain(`pulse ${pulseOf(f, 'hang:ops').id}: timeout\n\n    started a long job\n`);
    // 2000 lines (~50 KB): the daily log keeps the last 16 KiB, saying how much it left out.
    const chatty = log.slice(log.indexOf(`pulse ${pulseOf(f, 'chatty:ops').id}: ok`));
    expect(chatty).toMatch(/^pulse \S+: ok\n\n {4}\[… \d+ bytes truncated\]\n/);
    expect(chatty).toContain('    line 1999 of a long report\n');
    expect(chatty).not.toContain('line 0 of a long report');
    expect(Buffer.byteLength(chatty.split('\n### ')[0]!)).toBeLessThan(16 * 1024 + 4 * 700);
  });

  it('kills a hanging program and its SIGTERM-deaf child when the deadman expires the instance holding a task', async () => {
    const agent = program(
      'holder.sh',
      [
        'cat > /dev/null',
        "trap '' TERM", // the leader and its child ignore SIGTERM: only the SIGKILL follow-up ends them
        'sleep 300 &',
        'echo $! > "$MARK_DIR/child.pid"',
        'echo "holding ops-1"',
        'wait',
      ].join('\n'),
    );
    const clock = new ManualClock(T0);
    // SPEC §4: deadman_timeout 300 ≥ 2 × pulse_interval 60 + pulse_timeout 120.
    const f = await boot(clock, { command: agent, env: { MARK_DIR: dir }, killGraceMs: 300 }, true);
    await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    await f.exec('project.init', { project_name: 'Ops', project_id: 'ops', base_id: ['shuri'], settings: { driver: 'command', pulse_interval: 60, pulse_timeout: 120, deadman_timeout: 300 } });
    await f.exec('task.create', { project_id: 'ops', title: 'Hold the line', assignee_id: 'shuri' });
    await f.exec('task.move', { task_id: 'ops-1', new_status: 'in_progress' }, agentBy('shuri', 'ops'));
    expect(f.rt.repos.agents.get('shuri:ops')!.deadman_at).toBe(T0 + 300_000);

    // Silent until 10 s before the deadman: the missed slots coalesce into one pulse, which hangs.
    clock.advance(290_000);
    await waitFor(() => spawned.length === 1 && existsSync(join(dir, 'child.pid')), 'the agent program and its child');
    const { pgid, pulseId } = spawned[0]!;
    expect(pulseOf(f, 'shuri:ops').id).toBe(pulseId);
    const child = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
    await waitFor(() => liveGroupMembers(pgid).length === 2, 'both processes of the group');
    expect(liveGroupMembers(pgid)).toContain(child);

    clock.advance(10_000); // the deadman; the pulse's own timeout is 110 s away
    await waitFor(() => liveGroupMembers(pgid).length === 0, 'the process group to be gone', 5_000);
    expect(processRunning(child)).toBe(false);
    expect(processRunning(pgid)).toBe(false);

    await waitFor(() => pulseOf(f, 'shuri:ops').status !== 'delivering', 'the pulse to end');
    await f.rt.settled();
    const expired = f.store.db.prepare("SELECT ts FROM events WHERE type = 'agent.expired'").all() as { ts: number }[];
    expect(expired).toEqual([{ ts: T0 + 300_000 }]);
    expect(pulseOf(f, 'shuri:ops').status).toBe('aborted');
    expect(f.rt.repos.tasks.get('ops-1')!.status).toBe('backlog');
    expect(daily(f, 'ops')).toContain(`pulse ${pulseOf(f, 'shuri:ops').id}: aborted\n\n    holding ops-1\n`);
  });
});
