import type { ProjectView } from '@core/views.ts';
import { errorMessage } from '../api/errors.ts';
import type { MissionSocket } from '../api/mission-socket.ts';
import { RemoteActorRef } from '../api/remote-actor.ts';
import { listFrom } from './results.ts';

export interface DirectoryState {
  phase: 'loading' | 'ready' | 'failed';
  error: string | null;
  projects: ProjectView[];
}

/** The projects this user can see (`mission.project.list`), reloaded after a create and a reconnect. */
export class ProjectDirectory {
  readonly ref = new RemoteActorRef<DirectoryState>('projects', { phase: 'loading', error: null, projects: [] });

  constructor(private readonly socket: MissionSocket) {
    socket.onReopen(() => void this.reload());
    void this.reload();
  }

  async reload(): Promise<void> {
    try {
      const projects = listFrom<ProjectView>(await this.socket.request('mission.project.list', {}), 'projects');
      projects.sort((a, b) => a.name.localeCompare(b.name));
      this.ref.update(() => ({ phase: 'ready', error: null, projects }));
    } catch (err) {
      this.ref.update((s) => ({ ...s, phase: s.phase === 'ready' ? 'ready' : 'failed', error: errorMessage(err) }));
    }
  }
}
