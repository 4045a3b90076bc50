import { useEffect, useMemo, useState } from 'react';
import { fetchSession, logout, type Session } from '../api/auth.ts';
import { MissionSocket } from '../api/mission-socket.ts';
import { t } from '../i18n/index.ts';
import { Feeds } from '../state/feeds.ts';
import { ProjectDirectory } from '../state/project-directory.ts';
import { toasts } from '../ui/toasts.tsx';
import { diagnosticsEnabled } from './diagnostics.ts';
import { MissionContext, type Mission } from './mission-context.ts';

declare global {
  interface Window {
    /**
     * Diagnostics and test hook: the tab's socket (e.g. `__mission.socket.simulateDrop(2000)`).
     * Set only where `diagnosticsEnabled()` (dev server, or a tab with `mc.diagnostics` = '1').
     */
    __mission?: { socket: MissionSocket; feeds: Feeds };
  }
}

interface Props {
  session: Session;
  onExpired: () => void;
  onSignedOut: () => void;
  refreshSession: () => Promise<void>;
  children: React.ReactNode;
}

export function MissionProvider({ session, onExpired, onSignedOut, refreshSession, children }: Props): React.JSX.Element | null {
  const [core, setCore] = useState<{ socket: MissionSocket; feeds: Feeds; projects: ProjectDirectory } | null>(null);

  useEffect(() => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    const socket = new MissionSocket({ url, checkSession: async () => (await fetchSession()) !== null });
    const feeds = new Feeds(
      socket,
      (_projectId, notice) => notice === 'full_sync' && toasts.push('info', t.connection.fullSync),
      () => toasts.push('success', t.connection.resynced, undefined, 2000),
    );
    const stopWatching = socket.connection.subscribe((c) => {
      if (c.phase === 'signed_out') onExpired();
    });
    if (diagnosticsEnabled()) window.__mission = { socket, feeds };
    setCore({ socket, feeds, projects: new ProjectDirectory(socket) });
    return () => {
      stopWatching.unsubscribe();
      socket.stop();
      delete window.__mission;
    };
  }, [onExpired]);

  const mission = useMemo<Mission | null>(
    () =>
      core && {
        session,
        socket: core.socket,
        feeds: core.feeds,
        projects: core.projects,
        refreshSession,
        signOut: async () => {
          core.socket.stop();
          await logout();
          onSignedOut();
        },
      },
    [core, session, refreshSession, onSignedOut],
  );

  if (!mission) return null;
  return <MissionContext.Provider value={mission}>{children}</MissionContext.Provider>;
}
