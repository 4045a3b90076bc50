import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CommandDriver, terminateGroup } from '../../src/actors/drivers/command.js';
import type { InstanceRef, PulseRequest, SpawnInfo } from '../../src/actors/drivers/types.js';
import { liveGroupMembers } from '../support/proc.js';

const instance: InstanceRef = { id: 'shuri:vanguard', soulId: 'shuri', projectId: 'vanguard', soulVersion: 1 };
let dir: string;
const started: SpawnInfo[] = [];

function script(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

function request(pulseId: string, timeoutMs = 10_000, signal = new AbortController().signal): PulseRequest {
  return { pulseId, timeoutMs, signal, credentials: { url: 'http://127.0.0.1:7777', token: 'pulse-token-abc' } };
}

async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-command-'));
});
afterEach(() => {
  // Whatever a test started must not outlive it.
  for (const info of started.splice(0)) {
    for (const pid of liveGroupMembers(info.pgid)) process.kill(pid, 'SIGKILL');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('command driver (real processes)', () => {
  it('gives the prompt on stdin, the four MC_ variables, and captures stdout and stderr', async () => {
    process.env.MC_TEST_SERVER_SECRET = 'must-not-leak';
    const program = script(
      'echo-env.sh',
      'cat\necho\necho "url=$MC_URL token=$MC_TOKEN instance=$MC_INSTANCE pulse=$MC_PULSE_ID secret=${MC_TEST_SERVER_SECRET:-unset}"\necho "warning on stderr" >&2',
    );
    const driver = new CommandDriver({ command: program }, { onSpawn: (i) => started.push(i) });
    const outcome = await driver.deliverPulse(instance, '[SYSTEM STATUS UPDATE]\n- Current Project: vanguard', request('pulse-env'));
    delete process.env.MC_TEST_SERVER_SECRET;
    expect(outcome.status).toBe('ok');
    expect(outcome.output).toContain('[SYSTEM STATUS UPDATE]\n- Current Project: vanguard');
    expect(outcome.output).toContain('url=http://127.0.0.1:7777 token=pulse-token-abc instance=shuri:vanguard pulse=pulse-env secret=unset');
    expect(outcome.output).toContain('[stderr]\nwarning on stderr');
  });

  it('reports a non-zero exit as failed, with the output', async () => {
    const program = script('fail.sh', 'echo "tried"\nexit 3');
    const driver = new CommandDriver({ command: program });
    const outcome = await driver.deliverPulse(instance, 'x', request('pulse-fail'));
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'DRIVER_RUN_FAILED', transient: false }, output: 'tried\n' });
    if (outcome.status === 'failed') expect(outcome.error.message).toContain('exit code 3');
  });

  it('kills the whole process group (a hanging program and its hanging child) when the pulse is aborted', async () => {
    const childPidFile = join(dir, 'child.pid');
    const program = script('hang.sh', `sh -c 'sleep 300' &\necho $! > ${childPidFile}\nsleep 300`);
    const spawns: SpawnInfo[] = [];
    const exits: { code: number | null; signal: string | null }[] = [];
    const driver = new CommandDriver({ command: program, killGraceMs: 2_000 }, {
      onSpawn: (i) => (spawns.push(i), started.push(i)),
      onExit: (e) => exits.push({ code: e.code, signal: e.signal }),
    });
    const controller = new AbortController();
    const pending = driver.deliverPulse(instance, 'x', request('pulse-hang', 60_000, controller.signal));
    await waitFor(() => existsSync(childPidFile) && readFileSync(childPidFile, 'utf8').trim() !== '');
    const info = spawns[0]!;
    expect(info.pgid).toBe(info.pid);
    const childPid = Number(readFileSync(childPidFile, 'utf8').trim());
    expect(liveGroupMembers(info.pgid)).toContain(childPid);
    expect(liveGroupMembers(info.pgid).length).toBeGreaterThanOrEqual(3); // sh, its sh -c child, sleeps

    controller.abort();
    const outcome = await pending;
    expect(outcome.status).toBe('aborted');
    await waitFor(() => liveGroupMembers(info.pgid).length === 0, 3_000);
    expect(exits[0]?.signal).toBe('SIGTERM');
  });

  it('times out, then escalates to SIGKILL for a group that ignores SIGTERM', async () => {
    const program = script('stubborn.sh', "trap '' TERM\nsleep 300 &\nsleep 300");
    const spawns: SpawnInfo[] = [];
    const driver = new CommandDriver({ command: program, killGraceMs: 300 }, { onSpawn: (i) => (spawns.push(i), started.push(i)) });
    const before = Date.now();
    const outcome = await driver.deliverPulse(instance, 'x', request('pulse-timeout', 400));
    expect(outcome.status).toBe('timeout');
    expect(Date.now() - before).toBeGreaterThanOrEqual(650); // 400 ms timeout + 300 ms grace
    await waitFor(() => liveGroupMembers(spawns[0]!.pgid).length === 0, 3_000);
  });

  it('kills the group on abort(instance) and on instanceDestroyed', async () => {
    const program = script('sleepy.sh', 'sleep 300 &\nsleep 300');
    const spawns: SpawnInfo[] = [];
    const driver = new CommandDriver({ command: program, killGraceMs: 1_000 }, { onSpawn: (i) => (spawns.push(i), started.push(i)) });
    const first = driver.deliverPulse(instance, 'x', request('pulse-a'));
    await waitFor(() => spawns.length === 1 && liveGroupMembers(spawns[0]!.pgid).length >= 2);
    await driver.abort(instance);
    await expect(first).resolves.toMatchObject({ status: 'aborted' });
    expect(liveGroupMembers(spawns[0]!.pgid)).toEqual([]);

    const second = driver.deliverPulse(instance, 'x', request('pulse-b'));
    await waitFor(() => spawns.length === 2 && liveGroupMembers(spawns[1]!.pgid).length >= 2);
    await driver.instanceDestroyed(instance);
    await expect(second).resolves.toMatchObject({ status: 'aborted' });
    expect(liveGroupMembers(spawns[1]!.pgid)).toEqual([]);
  });

  it('a retried delivery of the same pulse id does not start a second process', async () => {
    const counter = join(dir, 'runs.txt');
    const program = script('count.sh', `echo run >> ${counter}\nsleep 0.3\necho finished`);
    const spawns: SpawnInfo[] = [];
    const driver = new CommandDriver({ command: program }, { onSpawn: (i) => (spawns.push(i), started.push(i)) });
    const [a, b] = await Promise.all([driver.deliverPulse(instance, 'x', request('pulse-dup')), driver.deliverPulse(instance, 'x', request('pulse-dup'))]);
    const c = await driver.deliverPulse(instance, 'x', request('pulse-dup'));
    expect(a).toEqual({ status: 'ok', output: 'finished\n' });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(spawns).toHaveLength(1);
    expect(readFileSync(counter, 'utf8')).toBe('run\n');
  });

  it('leaves nothing running after a program exits with a background child', async () => {
    const program = script('leaver.sh', 'sleep 300 &\necho left-a-child');
    const spawns: SpawnInfo[] = [];
    const driver = new CommandDriver({ command: program, killGraceMs: 500 }, { onSpawn: (i) => (spawns.push(i), started.push(i)) });
    const outcome = await driver.deliverPulse(instance, 'x', request('pulse-leaver'));
    expect(outcome).toMatchObject({ status: 'ok', output: 'left-a-child\n' });
    await waitFor(() => liveGroupMembers(spawns[0]!.pgid).length === 0, 3_000);
  });

  it('bounds the captured output to its last bytes, with a marker for what was dropped', async () => {
    const program = script('chatty.sh', 'i=0\nwhile [ $i -lt 2000 ]; do echo "line $i of chatter"; i=$((i+1)); done\necho "the end" >&2');
    const driver = new CommandDriver({ command: program, maxOutputBytes: 1_024 });
    const outcome = await driver.deliverPulse(instance, 'x', request('pulse-chatty'));
    expect(outcome.status).toBe('ok');
    expect(outcome.output!.length).toBeLessThan(1_200);
    expect(outcome.output).toMatch(/^\[output truncated: \d+ earlier bytes\]\n/);
    expect(outcome.output).toContain('line 1999 of chatter\n[stderr]\nthe end\n');
    expect(outcome.output).not.toContain('line 0 of chatter');
  });

  it('a program that cannot start fails the pulse and shows in health', async () => {
    const driver = new CommandDriver({ command: join(dir, 'does-not-exist') });
    const outcome = await driver.deliverPulse(instance, 'x', request('pulse-missing'));
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'CONFIG_INVALID' } });
    expect(driver.health()).toMatchObject({ ok: false });
    expect(driver.health().message).toContain('ENOENT');
  });

  it('terminateGroup ends a group left by an earlier run (by its stored pgid)', async () => {
    const orphan = spawn('/bin/sh', ['-c', 'sleep 300 & sleep 300'], { detached: true, stdio: 'ignore' });
    orphan.unref();
    const pgid = orphan.pid!;
    started.push({ instanceId: 'orphan', pulseId: 'old', pid: pgid, pgid, identity: null });
    await waitFor(() => liveGroupMembers(pgid).length >= 2);
    await expect(terminateGroup(pgid, 1_000)).resolves.toBe(true);
    await waitFor(() => liveGroupMembers(pgid).length === 0, 3_000);
    await expect(terminateGroup(pgid, 1_000)).resolves.toBe(false);
  });
});
