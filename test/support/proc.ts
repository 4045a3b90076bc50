import { readdirSync, readFileSync } from 'node:fs';

/** State and process group of a pid from /proc/<pid>/stat (after the parenthesised name), or null. */
function procStat(pid: number | string): { state: string; pgrp: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, pgrp: Number(fields[2]) };
  } catch {
    return null; // gone, or went away while we read it
  }
}

const living = (s: { state: string } | null): boolean => s !== null && s.state !== 'Z' && s.state !== 'X';

/** Alive and not a zombie, read from /proc: independent of the code under test. */
export function processRunning(pid: number): boolean {
  return living(procStat(pid));
}

/** Live (non-zombie) members of a process group, read from /proc: independent of the code under test. */
export function liveGroupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(entry);
    if (living(s) && s!.pgrp === pgid) pids.push(Number(entry));
  }
  return pids;
}
