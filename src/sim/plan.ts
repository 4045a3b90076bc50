import { spawnSync } from 'node:child_process';
import type { ProjectSettings } from '../core/index.js';

/** The souls a run draws its squad from (the lead always, each other one with p = 0.7). */
export const SOULS = [
  { soul_id: 'jarvis', name: 'Jarvis', role: 'lead', skills: ['planning'] },
  { soul_id: 'shuri', name: 'Shuri', role: 'engineer', skills: ['ui', 'frontend'] },
  { soul_id: 'friday', name: 'Friday', role: 'engineer', skills: ['api', 'backend', 'cache'] },
  { soul_id: 'vision', name: 'Vision', role: 'engineer', skills: ['tests', 'docs'] },
];

export const DEFAULTS: ProjectSettings = { pulse_interval: 60, pulse_timeout: 30, deadman_timeout: 180, max_attempts: 3, require_review: false, driver: 'simulated' };

/** How often each kind of step is chosen (docs/simulation.md has the table). */
export const STEP_WEIGHTS = { release: 40, tick: 18, jump: 2, human: 16, driverFault: 4, bus: 4, staleLock: 1, crash: 3, crashMidCommit: 3 } as const;

export type StepKind = keyof typeof STEP_WEIGHTS;

let deadPidCache: number | null = null;

/** The pid of a process that has exited: what a killed holder leaves in its lock files. */
export function deadPid(): number {
  deadPidCache ??= spawnSync(process.execPath, ['-e', '']).pid ?? 999_999;
  return deadPidCache;
}

export function replayCommand(seed: number, steps: number, ackBeforeCommit: boolean): string {
  return `npm run sim -- --seeds 1 --start ${seed} --steps ${steps}${ackBeforeCommit ? ' --fault ack-before-commit' : ''}`;
}
