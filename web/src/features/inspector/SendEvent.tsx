import { useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { t } from '../../i18n/index.ts';
import { toasts } from '../../ui/toasts.tsx';

/** Owners send an event the current state accepts (`mission.inspect.send`); extra fields as JSON. */
export function SendEvent({ actorId, events }: { actorId: string; events: string[] }): React.JSX.Element {
  const act = useAction();
  const [type, setType] = useState('');
  const [extra, setExtra] = useState('');
  const [busy, setBusy] = useState(false);
  const chosen = type || events[0] || '';

  return (
    <section className="card">
      <h3>{t.inspector.send}</h3>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          let fields: Record<string, unknown> = {};
          if (extra.trim()) {
            try {
              fields = JSON.parse(extra) as Record<string, unknown>;
            } catch (err) {
              toasts.push('error', t.inspector.send, String(err));
              return;
            }
          }
          setBusy(true);
          act('mission.inspect.send', { actor_id: actorId, event: { ...fields, type: chosen } }, t.inspector.send)
            .then(() => toasts.push('success', t.inspector.sent(chosen), undefined, 2000))
            .catch(() => undefined)
            .finally(() => setBusy(false));
        }}
      >
        <select value={chosen} onChange={(e) => setType(e.target.value)} aria-label={t.inspector.sendPlaceholder} data-testid="send-event-type">
          {events.map((ev) => (
            <option key={ev} value={ev}>
              {ev}
            </option>
          ))}
        </select>
        <input className="mono" placeholder={t.inspector.sendFieldsExample} value={extra} onChange={(e) => setExtra(e.target.value)} aria-label={t.inspector.sendFields} />
        <div className="form-actions">
          <button className="button" type="submit" disabled={busy || !chosen}>
            {t.inspector.send}
          </button>
        </div>
      </form>
    </section>
  );
}
