import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootId, processIdentity } from '../../src/core/index.js';

/** proc(5): /proc/<pid>/stat field 22 is starttime; field 2 is "(comm)" and may hold spaces. */
function startTimeFromProc(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const afterComm = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/);
  return afterComm[22 - 3]!; // afterComm[0] is field 3 (state)
}

describe('process identity', () => {
  it('is the boot id and the start time of the process, as /proc tells them', () => {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    expect(bootId()).toBe(boot);
    expect(processIdentity(process.pid)).toBe(`${boot}:${startTimeFromProc(process.pid)}`);
  });

  it('tells a later process apart, reads a command name with spaces and parentheses, and is null for no process', async () => {
    // A script's process is named after its file (comm): "odd) (name" puts ") (" inside field 2.
    const dir = mkdtempSync(join(tmpdir(), 'mc-ident-'));
    const script = join(dir, 'odd) (name');
    writeFileSync(script, '#!/bin/sh\nsleep 30\n');
    chmodSync(script, 0o755);
    const child = spawn(script, [], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 150));
      expect(readFileSync(`/proc/${child.pid!}/stat`, 'utf8')).toContain('(odd) (name)');
      const id = processIdentity(child.pid!);
      expect(id).toBe(`${bootId()}:${startTimeFromProc(child.pid!)}`);
      expect(processIdentity(process.pid)).not.toBe(id);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
    expect(processIdentity(0)).toBeNull();
    expect(processIdentity(2 ** 22 + 1)).toBeNull(); // above the kernel's pid_max ceiling
  });
});
