/**
 * Seeds the demo squad (souls, project `vanguard`, its backlog in dependency order) through the
 * gateway as an operator's script would, with the project settings the caller picks (the soak
 * runs it faster than `--demo`'s 5 s pulses). `vanguard` is the project whose simulated lead
 * refills the backlog from the demo pool, so the squad keeps working for a whole soak.
 */
import { demoSquad } from '../../src/actors/index.js';
import { rpc, unwrap } from './mission-client.js';

export interface DemoSettings {
  pulse_interval: number;
  pulse_timeout: number;
  deadman_timeout: number;
}

export async function seedDemoSquad(url: string, token: string, settings: DemoSettings): Promise<{ projectId: string; taskIds: string[]; souls: string[] }> {
  const squad = demoSquad();
  for (const soul of squad.souls) {
    unwrap(await rpc(url, token, 'mission.soul.create', { soul_id: soul.soul_id, name: soul.name, role: soul.role, skills: soul.skills, soul_md: soul.soul_md }));
  }
  const projectId = squad.project.project_id;
  unwrap(
    await rpc(url, token, 'mission.project.init', {
      project_name: squad.project.project_name,
      project_id: projectId,
      base_id: squad.souls.map((s) => s.soul_id),
      settings: { ...settings, driver: 'simulated' },
    }),
  );
  const idByRef = new Map<string, string>();
  for (const task of squad.tasks) {
    const created = unwrap(
      await rpc<{ id: string }>(url, token, 'mission.task.create', {
        project_id: projectId,
        title: task.title,
        description: task.description,
        priority: task.priority,
        assignee_id: task.assignee_id,
        depends_on: task.depends_on.map((ref) => idByRef.get(ref)).filter((id): id is string => id !== undefined),
      }),
    );
    idByRef.set(task.ref, created.id);
  }
  return { projectId, taskIds: [...idByRef.values()], souls: squad.souls.map((s) => s.soul_id) };
}
