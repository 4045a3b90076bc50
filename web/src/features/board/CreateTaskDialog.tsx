import type { TaskView } from '@core/views.ts';
import { useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { t } from '../../i18n/index.ts';
import { useFeed } from '../../state/hooks.ts';
import { objectFrom } from '../../state/results.ts';
import { Dialog } from '../../ui/Dialog.tsx';
import { toasts } from '../../ui/toasts.tsx';

export function CreateTaskDialog({
  projectId,
  assignees,
  open,
  onClose,
}: {
  projectId: string;
  assignees: string[];
  open: boolean;
  onClose: () => void;
}): React.JSX.Element {
  const act = useAction();
  const feed = useFeed(projectId);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [assignee, setAssignee] = useState('');
  const [priority, setPriority] = useState(3);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent): Promise<void> {
    e.preventDefault();
    setBusy(true);
    try {
      const params: Record<string, unknown> = { project_id: projectId, title: title.trim(), priority };
      if (description.trim()) params.description = description;
      if (assignee) params.assignee_id = assignee;
      const result = await act<unknown>('mission.task.create', params, t.task.create);
      const task = objectFrom<TaskView>(result, 'task');
      if (task && typeof task.id === 'string' && typeof task.version === 'number') {
        feed.upsertTask(task);
        toasts.push('success', t.task.created(task.id));
      }
      setTitle('');
      setDescription('');
      onClose();
    } catch {
      // the toast said why; the dialog keeps what was typed
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={t.task.create} open={open} onClose={onClose} testId="create-task-dialog">
      <form className="form" onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>{t.task.title}</span>
          <input name="title" required maxLength={500} autoFocus value={title} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label className="field">
          <span>{t.task.description}</span>
          <textarea name="description" rows={5} placeholder={t.task.descriptionHint} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <div className="field-row">
          <label className="field">
            <span>{t.task.assignee}</span>
            <select name="assignee" value={assignee} onChange={(e) => setAssignee(e.target.value)}>
              <option value="">{t.board.unassigned}</option>
              {assignees.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t.task.priority}</span>
            <select name="priority" value={priority} onChange={(e) => setPriority(Number(e.target.value))}>
              {[1, 2, 3, 4, 5].map((p) => (
                <option key={p} value={p}>
                  {t.priority.p(p)} · {t.priority.names[p]}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="dialog-footer">
          <button type="button" className="button ghost" onClick={onClose}>
            {t.app.cancel}
          </button>
          <button type="submit" className="button primary" disabled={busy || !title.trim()} data-testid="create-task-submit">
            {t.app.create}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
