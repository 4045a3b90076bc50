import { createContext, useContext } from 'react';
import type { Session } from '../api/auth.ts';
import type { MissionSocket } from '../api/mission-socket.ts';
import type { Feeds } from '../state/feeds.ts';
import type { ProjectDirectory } from '../state/project-directory.ts';

export interface Mission {
  session: Session;
  socket: MissionSocket;
  feeds: Feeds;
  projects: ProjectDirectory;
  signOut: () => Promise<void>;
  refreshSession: () => Promise<void>;
}

export const MissionContext = createContext<Mission | null>(null);

export function useMission(): Mission {
  const mission = useContext(MissionContext);
  if (!mission) throw new Error('useMission outside <MissionProvider>');
  return mission;
}
