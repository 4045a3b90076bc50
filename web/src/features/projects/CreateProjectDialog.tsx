import type { SoulView } from '@core/views.ts';
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { useAction } from '../../app/use-action.ts';
import { useMission } from '../../app/mission-context.ts';
import { t } from '../../i18n/index.ts';
import { Dialog } from '../../ui/Dialog.tsx';
import { listFrom } from '../../state/results.ts';
import { toasts } from '../../ui/toasts.tsx';

export function CreateProjectDialog({ open, onClose }: { open: boolean; onClose: () => void }): React.JSX.Element {
  const act = useAction();
  const { projects, refreshSession, socket } = useMission();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [id, setId] = useState('');
  const [souls, setSouls] = useState('');
  const [busy, setBusy] = useState(false);
  const [known, setKnown] = useState<SoulView[]>([]);

  // Offer the souls that exist; ids can still be typed for ones created elsewhere.
  useEffect(() => {
    if (!open) return;
    let live = true;
    socket
      .request('mission.soul.list', {})
      .then((r) => live && setKnown(listFrom<SoulView>(r, 'souls')))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [open, socket]);

  const chosen = souls.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
  const toggle = (id: string): void =>
    setSouls((chosen.includes(id) ? chosen.filter((x) => x !== id) : [...chosen, id]).join(', '));

  async function submit(e: React.FormEvent): Promise<void> {
    e.preventDefault();
    setBusy(true);
    try {
      const params: Record<string, unknown> = { project_name: name, base_id: chosen };
      if (id.trim()) params.project_id = id.trim();
      const result = await act<{ project?: { id?: string }; id?: string; project_id?: string }>('mission.project.init', params, t.projects.create);
      const newId = result?.project?.id ?? result?.project_id ?? result?.id ?? id.trim();
      toasts.push('success', t.projects.created(newId));
      await Promise.all([projects.reload(), refreshSession()]);
      onClose();
      setName('');
      setId('');
      setSouls('');
      if (newId) navigate(`/p/${newId}`);
    } catch {
      // the toast said why
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={t.projects.create} open={open} onClose={onClose} testId="create-project-dialog">
      <form className="form" onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>{t.projects.name}</span>
          <input name="project_name" required maxLength={120} autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span>{t.projects.id}</span>
          <input name="project_id" pattern="[a-z0-9][a-z0-9\-]{0,39}" value={id} onChange={(e) => setId(e.target.value)} />
          <small className="muted">{t.projects.idHint}</small>
        </label>
        <label className="field">
          <span>{t.projects.souls}</span>
          <input name="base_id" value={souls} placeholder={t.projects.soulsHint} onChange={(e) => setSouls(e.target.value)} />
        </label>
        {known.length > 0 && (
          <div className="chips" role="group" aria-label={t.projects.souls}>
            {known.map((soul) => (
              <button
                type="button"
                key={soul.id}
                className={chosen.includes(soul.id) ? 'chip on' : 'chip'}
                aria-pressed={chosen.includes(soul.id)}
                title={soul.role}
                onClick={() => toggle(soul.id)}
              >
                {soul.name} <span className="mono muted">{soul.id}</span>
              </button>
            ))}
          </div>
        )}
        <div className="dialog-footer">
          <button type="button" className="button ghost" onClick={onClose}>
            {t.app.cancel}
          </button>
          <button type="submit" className="button primary" disabled={busy || !name.trim()}>
            {t.app.create}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
