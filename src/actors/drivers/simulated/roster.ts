import type { Repositories } from '../../../store/index.js';
import type { SquadMember } from './squad.js';

/** The live instances of a project with their souls' roles and skills: the simulated squad's roster. */
export function rosterOf(repos: Repositories, projectId: string): SquadMember[] {
  return repos.agents
    .inProject(projectId)
    .filter((a) => a.state !== 'destroyed')
    .flatMap((a) => {
      const soul = repos.souls.get(a.soul_id);
      return soul ? [{ soul_id: soul.id, name: soul.name, role: soul.role, skills: soul.skills }] : [];
    });
}
