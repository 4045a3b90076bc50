import type { CommittedEvent } from '@core/views.ts';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { errorMessage } from '../../api/errors.ts';
import { useMission } from '../../app/mission-context.ts';
import { useProject } from '../../state/hooks.ts';
import { listFrom } from '../../state/results.ts';

const HISTORY_LIMIT = 500;

/**
 * The actor's persisted events (`mission.inspect.events`), re-read whenever the feed reports a
 * new event for this actor, plus `mission.inspect.watch` so the server sends its snapshots.
 */
export interface ActorHistory {
  events: CommittedEvent[] | null;
  error: string | null;
  /** False once the oldest persisted event is loaded. */
  hasOlder: boolean;
  loadOlder: () => Promise<void>;
}

export function useActorHistory(projectId: string, actorId: string): ActorHistory {
  const { socket } = useMission();
  const actorSeq = useProject(projectId, (s) => s.actor_seq[actorId] ?? 0);
  const [events, setEvents] = useState<CommittedEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [older, setOlder] = useState<CommittedEvent[]>([]);
  const [hasOlder, setHasOlder] = useState(false);

  useEffect(() => {
    setEvents(null);
    setOlder([]);
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
        const page = listFrom<CommittedEvent>(r, 'events').sort((a, b) => a.seq - b.seq);
        setEvents(page);
        setHasOlder((had) => had || page.length >= HISTORY_LIMIT);
        setError(null);
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [socket, actorId, actorSeq]);

  const merged = useMemo(() => {
    if (events === null) return null;
    const first = events[0]?.seq ?? Infinity;
    return [...older.filter((e) => e.seq < first), ...events];
  }, [events, older]);

  const loadOlder = useCallback(async () => {
    const oldest = merged?.[0]?.seq;
    if (oldest === undefined) return;
    const r = await socket.request('mission.inspect.events', { actor_id: actorId, before_seq: oldest, limit: HISTORY_LIMIT });
    const page = listFrom<CommittedEvent>(r, 'events').sort((a, b) => a.seq - b.seq);
    setOlder((o) => [...page, ...o]);
    setHasOlder(page.length >= HISTORY_LIMIT);
  }, [socket, actorId, merged]);

  return { events: merged, error, hasOlder, loadOlder };
}
