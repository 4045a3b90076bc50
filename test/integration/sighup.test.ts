import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rpc, signIn, unwrap } from '../../bench/lib/mission-client.js';
import { ChildOutput, exitOf, spawnTs, stopChild } from '../support/child.js';

let dir: string;
let child: ChildProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-sighup-'));
});
afterEach(async () => {
  if (child) await stopChild(child);
  child = null;
  rmSync(dir, { recursive: true, force: true });
});

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** pino levels (independent of the code): 20 debug, 30 info, 40 warn, 50 error. */
const DEBUG = 20;

function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

describe('SIGHUP', () => {
  it('applies a changed log level from the edited config file and reports what needs a restart', async () => {
    const file = join(dir, 'mc.json');
    writeFileSync(file, JSON.stringify({ log_level: 'info', port: 0, data_dir: join(dir, 'data') }));
    child = spawnTs('src/cli/main.ts', ['serve', '--config', file]);
    const out = new ChildOutput(child);
    await out.waitFor(/listening on http/);
    expect(logLines(out.text).filter((l) => l.level === DEBUG)).toEqual([]); // info hides debug

    // 1. info → debug: debug lines start to appear.
    writeFileSync(file, JSON.stringify({ log_level: 'debug', port: 0, data_dir: join(dir, 'data') }));
    child.kill('SIGHUP');
    await out.waitFor(/"msg":"configuration reloaded \(SIGHUP\)/);
    const afterFirst = logLines(out.text);
    const reloaded = afterFirst.find((l) => l.msg.startsWith('configuration reloaded'))!;
    expect(reloaded.applied).toEqual([{ key: 'log_level', from: 'info', to: 'debug' }]);
    expect(afterFirst.some((l) => l.level === DEBUG && l.msg === 'configuration in effect')).toBe(true);

    // 2. A change that needs a restart is reported, not applied; the live part still applies.
    writeFileSync(file, JSON.stringify({ log_level: 'warn', port: 0, host: '0.0.0.0', data_dir: join(dir, 'data') }));
    const before = out.text.length;
    child.kill('SIGHUP');
    const warnLine = await out.waitFor(/need a restart/);
    expect((JSON.parse(warnLine) as LogLine).needs_restart).toEqual([{ key: 'host', from: '127.0.0.1', to: '0.0.0.0' }]);
    // At warn, the info-level "reloaded" line of this reload is no longer printed.
    expect(logLines(out.text.slice(before)).map((l) => l.level).every((lvl) => lvl >= 40)).toBe(true);

    // 3. An invalid file is refused and the server keeps running with its configuration.
    writeFileSync(file, JSON.stringify({ log_level: 'chatty', port: 0, data_dir: join(dir, 'data') }));
    child.kill('SIGHUP');
    const refused = await out.waitFor(/configuration reload refused/);
    expect(refused).toContain('log_level = \\"chatty\\"');
    expect(child.exitCode).toBeNull();

    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  });

  it('applies reloaded project defaults to the runtime and the gateway; a default breaking the deadman rule is refused', async () => {
    const file = join(dir, 'mc.json');
    const write = (defaults: Record<string, number>): void =>
      writeFileSync(file, JSON.stringify({ port: 0, data_dir: join(dir, 'data'), admin: { username: 'root', password: 'root-password-1' }, projects: { defaults } }));
    write({ pulse_interval: 60, pulse_timeout: 120, deadman_timeout: 300 });
    child = spawnTs('src/cli/main.ts', ['serve', '--config', file]);
    const out = new ChildOutput(child);
    const url = (JSON.parse(await out.waitFor(/listening on http/)) as { url: string }).url;
    const token = await signIn(url, 'root', 'root-password-1');
    unwrap(await rpc(url, token, 'mission.soul.create', { soul_id: 'scout', name: 'Scout' }));
    unwrap(await rpc(url, token, 'mission.project.init', { project_name: 'Before', project_id: 'before', base_id: ['scout'] }));
    unwrap(await rpc(url, token, 'mission.project.init', { project_name: 'Pinned', project_id: 'pinned', base_id: ['scout'], settings: { pulse_interval: 30 } }));
    type Settings = { pulse_interval: number; deadman_timeout: number };
    const settingsOf = async (id: string): Promise<Settings> => unwrap(await rpc<{ project: { settings: Settings } }>(url, token, 'mission.project.get', { project_id: id })).project.settings;
    expect((await settingsOf('before')).pulse_interval).toBe(60);

    write({ pulse_interval: 1, pulse_timeout: 5, deadman_timeout: 400 });
    child.kill('SIGHUP');
    await out.waitFor(/"msg":"configuration reloaded \(SIGHUP\)/);
    // Projects that follow the defaults follow the new ones; explicit settings stay.
    expect(await settingsOf('before')).toMatchObject({ pulse_interval: 1, deadman_timeout: 400 });
    expect((await settingsOf('pinned')).pulse_interval).toBe(30);
    unwrap(await rpc(url, token, 'mission.project.init', { project_name: 'After', project_id: 'after', base_id: ['scout'] }));
    expect((await settingsOf('after')).pulse_interval).toBe(1);
    // The runtime schedules with them too: the new project's instance pulses every second
    // (three pulses in a few seconds, where the old defaults allow one a minute).
    const pulses = new Set<number>();
    for (const until = Date.now() + 10_000; pulses.size < 3 && Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      const agent = unwrap(await rpc<{ last_pulse_at: number | null }>(url, token, 'mission.agent.get', { instance_id: 'scout:after' }));
      if (agent.last_pulse_at !== null) pulses.add(agent.last_pulse_at);
    }
    expect(pulses.size).toBeGreaterThanOrEqual(3);

    // A deadman under 2 × interval + timeout is refused by the schema; the server keeps going.
    write({ pulse_interval: 90, pulse_timeout: 120, deadman_timeout: 250 });
    child.kill('SIGHUP');
    expect(await out.waitFor(/configuration reload refused/)).toContain('deadman_timeout');
    expect((await settingsOf('before')).deadman_timeout).toBe(400);

    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  });
});
