import type { TaskStatusName } from '@core/task-status.ts';
import type { TaskView } from '@core/views.ts';
import { useState } from 'react';
import { t } from '../../i18n/index.ts';
import { Dialog } from '../../ui/Dialog.tsx';

/** Asks for the reason a block or a reject needs before the move is sent. */
export function ReasonDialog({
  request,
  onCancel,
  onSubmit,
}: {
  request: { task: TaskView; target: TaskStatusName } | null;
  onCancel: () => void;
  onSubmit: (reason: string) => void;
}): React.JSX.Element {
  const [reason, setReason] = useState('');
  return (
    <Dialog title={request ? t.board.moved(request.task.id, t.status[request.target]) : ''} open={request !== null} onClose={onCancel} testId="reason-dialog">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit(reason.trim());
          setReason('');
        }}
      >
        <label className="field">
          <span>{t.board.reasonPrompt}</span>
          <textarea name="reason" rows={3} required autoFocus value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <div className="dialog-footer">
          <button type="button" className="button ghost" onClick={onCancel}>
            {t.app.cancel}
          </button>
          <button type="submit" className="button primary" disabled={!reason.trim()}>
            {t.app.confirm}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
