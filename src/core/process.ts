import { readFileSync } from 'node:fs';

/** True when a process with this pid exists (EPERM means it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What makes a process this process and not a later one with the same pid: the boot it runs in
 * and its start time in clock ticks since boot (`/proc/<pid>/stat` field 22), as
 * `<boot_id>:<starttime>`. Null where /proc does not tell (not Linux, or no such process).
 * Recorded with an agent's process group, so a restarted server never signals a group that a
 * reboot or pid reuse gave to someone else.
 */
export function processIdentity(pid: number): string | null {
  const boot = bootId();
  if (boot === null || !Number.isInteger(pid) || pid <= 0) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19]; // field 22 overall: 3 + 19
    return start ? `${boot}:${start}` : null;
  } catch {
    return null;
  }
}

/** The kernel's id of the current boot (Linux); null elsewhere. */
export function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}
