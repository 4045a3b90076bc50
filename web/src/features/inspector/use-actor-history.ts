import type { CommittedEvent } from '@core/views.ts';
import { useEffect, useState } from 'react';
import { errorMessage } from '../../api/errors.ts';
import { useMission } from '../../app/mission-context.ts';
import { useProject } from '../../state/hooks.ts';
import { listFrom } from '../../state/results.ts';

const HISTORY_LIMIT = 500;

/**
 * The actor's persisted events (`mission.inspect.events`), re-read whenever the feed reports a
 * new event for this actor, plus `mission.inspect.watch` so the server sends its snapshots.
 */
export function useActorHistory(projectId: string, actorId: string): { events: CommittedEvent[] | null; error: string | null } {
  const { socket } = useMission();
  const actorSeq = useProject(projectId, (s) => s.actor_seq[actorId] ?? 0);
  const [events, setEvents] = useState<CommittedEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setEvents(null);
    const watch = (): void => void socket.request('mission.inspect.watch', { actor_id: actorId }).catch(() => undefined);
    watch();
    const stopReopen = socket.onReopen(watch);
    return () => {
      stopReopen();
      void socket.request('mission.inspect.unwatch', { actor_id: actorId }).catch(() => undefined);
    };
  }, [socket, actorId]);

  useEffect(() => {
    let live = true;
    socket
      .request('mission.inspect.events', { actor_id: actorId, limit: HISTORY_LIMIT })
      .then((r) => {
        if (!live) return;
        setEvents(listFrom<CommittedEvent>(r, 'events').sort((a, b) => a.seq - b.seq));
        setError(null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [socket, actorId, actorSeq]);

  return { events, error };
}
