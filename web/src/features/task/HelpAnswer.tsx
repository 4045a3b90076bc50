import type { TaskView } from '@core/views.ts';
import { useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { t } from '../../i18n/index.ts';
import { toasts } from '../../ui/toasts.tsx';

/** A blocked task's reason, and for members the answer that unblocks it (`mission.task.answer_help`). */
export function HelpAnswer({ task, editable, onAnswered }: { task: TaskView; editable: boolean; onAnswered: () => void }): React.JSX.Element {
  const act = useAction();
  const [answer, setAnswer] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <section className="callout warn help" data-testid="help-request">
      <div className="help-title">{t.task.helpRequested}</div>
      {task.blocked_reason && <div className="help-reason">{task.blocked_reason}</div>}
      {editable && (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            setBusy(true);
            act('mission.task.answer_help', { task_id: task.id, answer: answer.trim() }, t.task.answer)
              .then(() => {
                toasts.push('success', t.task.answered);
                setAnswer('');
                onAnswered();
              })
              .catch(() => undefined)
              .finally(() => setBusy(false));
          }}
        >
          <textarea name="answer" rows={3} required placeholder={t.task.answerPlaceholder} value={answer} onChange={(e) => setAnswer(e.target.value)} />
          <div className="form-actions">
            <button className="button primary" type="submit" disabled={busy || !answer.trim()}>
              {t.task.answer}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
