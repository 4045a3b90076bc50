import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoSquad } from '../actors/index.js';
import type { By, CommandEnvelope, CommandName, CommandParams, MissionRuntime, TaskView } from '../core/index.js';
import type { Repositories } from '../store/index.js';

/**
 * Demo pacing: each of the six agents pulses every 10 s, so a card moves every few seconds and
 * the countdowns are readable (deadman floor 2×10+10 = 30). Reviews on, so the lead approves.
 */
export const DEMO_SETTINGS = { pulse_interval: 10, pulse_timeout: 10, deadman_timeout: 40, require_review: true } as const;

export type DemoSettings = { pulse_interval: number; pulse_timeout: number; deadman_timeout: number; require_review: boolean };

const DEMO_ADMIN_FILE = 'demo-admin.txt';
const DEMO_ADMIN = 'admin';
const SEEDER: By = { kind: 'human', userId: 0, username: 'demo-seed', role: 'admin' };

/**
 * Seeds the demo squad of `--demo` once: the souls, project `vanguard` with an instance of each,
 * and its backlog in order (dependencies name tasks created before them). A data dir that already
 * has the project is left as it is, so restarting the demo resumes it.
 */
export async function seedDemo(runtime: MissionRuntime, repos: Repositories, settings: DemoSettings = DEMO_SETTINGS): Promise<{ seeded: boolean; projectId: string }> {
  const squad = demoSquad();
  const projectId = squad.project.project_id;
  if (repos.projects.get(projectId)) return { seeded: false, projectId };

  const run = <N extends CommandName>(name: N, params: CommandParams<N>): Promise<unknown> =>
    runtime.execute({ name, params, by: SEEDER, principal_key: 'demo-seed' } as CommandEnvelope<N>);

  for (const soul of squad.souls) {
    if (repos.souls.get(soul.soul_id)) continue;
    await run('soul.create', { soul_id: soul.soul_id, name: soul.name, role: soul.role, skills: soul.skills, soul_md: soul.soul_md });
  }
  await run('project.init', {
    project_name: squad.project.project_name,
    project_id: projectId,
    base_id: squad.souls.map((s) => s.soul_id),
    settings: { ...settings },
  });
  const idByRef = new Map<string, string>();
  for (const task of squad.tasks) {
    const created = (await run('task.create', {
      project_id: projectId,
      title: task.title,
      description: task.description,
      priority: task.priority,
      assignee_id: task.assignee_id,
      depends_on: task.depends_on.map((ref) => idByRef.get(ref)).filter((id): id is string => id !== undefined),
    })) as TaskView;
    idByRef.set(task.ref, created.id);
  }
  return { seeded: true, projectId };
}

/** The demo's administrator; `generated`: a password made up at this start, not kept yet. */
export interface DemoAdmin {
  username: string;
  password: string;
  generated: boolean;
}

/**
 * The demo's sign-in: `MC_ADMIN` when given, else user `admin` with the password kept in
 * `<data_dir>/demo-admin.txt`, else a random one (`generated`), which `keepDemoAdmin` writes
 * there once the user is created with it, so it survives restarts and is printed at start.
 */
export function demoAdmin(dataDir: string, configured: { username: string; password: string } | null): DemoAdmin {
  if (configured) return { ...configured, generated: false };
  const file = join(dataDir, DEMO_ADMIN_FILE);
  if (existsSync(file)) {
    const [username, password] = readFileSync(file, 'utf8').trim().split(':');
    if (username && password) return { username, password, generated: false };
  }
  return { username: DEMO_ADMIN, password: randomBytes(12).toString('base64url'), generated: true };
}

/**
 * Keeps a generated demo password (mode 0600). Only for a user created with it: an `admin` that
 * existed before (a data directory first served without `--demo`) keeps its own password, and
 * a file naming another would be printed at every start as the way in.
 */
export function keepDemoAdmin(dataDir: string, admin: DemoAdmin): void {
  const file = join(dataDir, DEMO_ADMIN_FILE);
  writeFileSync(file, `${admin.username}:${admin.password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
