import type { CommittedEvent } from '@core/views.ts';
import { t } from '../../i18n/index.ts';
import { clockTime } from '../../ui/time.ts';

export function formatStateValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => (v && typeof v === 'object' && Object.keys(v).length === 0 ? k : `${k}.${formatStateValue(v)}`))
      .join(' | ');
  }
  return JSON.stringify(value);
}

export function EventLog({ events, selected, onSelect }: { events: CommittedEvent[]; selected: number; onSelect: (index: number) => void }): React.JSX.Element {
  return (
    <div className="event-log">
      <table className="table" data-testid="event-log">
        <thead>
          <tr>
            <th>{t.inspector.colEvent}</th>
            <th>{t.inspector.colSource}</th>
            <th>{t.inspector.colState}</th>
            <th>{t.inspector.colTime}</th>
          </tr>
        </thead>
        <tbody>
          {events
            .map((e, i) => ({ e, i }))
            .reverse()
            .map(({ e, i }) => (
              <tr key={e.seq} className={i === selected ? 'selected' : ''} onClick={() => onSelect(i)} aria-selected={i === selected}>
                <td className="mono">{e.payload.event?.type ?? e.type}</td>
                <td className="muted">{[e.payload.by?.kind, e.payload.by?.id].filter(Boolean).join(':')}</td>
                <td className="mono">{formatStateValue(e.payload.state_value)}</td>
                <td className="muted tabular">{clockTime(e.ts)}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
