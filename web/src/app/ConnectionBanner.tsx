import { useSelector } from '@xstate/react';
import { t } from '../i18n/index.ts';
import { useNow } from '../ui/time.ts';
import { useMission } from './mission-context.ts';

/** The visible "reconnecting" banner (SPEC §10): shown only after the socket had been open. */
export function ConnectionBanner(): React.JSX.Element | null {
  const { socket } = useMission();
  const connection = useSelector(socket.connection, (c) => c);
  const now = useNow(500);
  const lost = connection.was_open && (connection.phase === 'reconnecting' || connection.phase === 'connecting');
  if (!lost) return null;
  const seconds = connection.retry_at ? Math.ceil((connection.retry_at - now) / 1000) : 0;
  return (
    <div className="connection-banner" role="status" data-testid="reconnecting-banner">
      <span className="pulse-dot" aria-hidden="true" />
      <span>{seconds > 0 ? t.connection.reconnecting(seconds) : t.connection.reconnectingNow}</span>
      {connection.queued > 0 && <span className="banner-extra">{t.connection.queued(connection.queued)}</span>}
    </div>
  );
}

export function ConnectionDot(): React.JSX.Element {
  const { socket } = useMission();
  const phase = useSelector(socket.connection, (c) => c.phase);
  const live = phase === 'open';
  return (
    <span className={live ? 'conn-dot live' : 'conn-dot'} data-testid="connection-state" data-phase={phase} title={live ? t.connection.live : t.connection.offline}>
      {live ? t.connection.live : t.connection.offline}
    </span>
  );
}
