import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
});
