import { useCallback, useEffect, useRef, useState } from 'react';
import { Markdown } from '../../ui/Markdown.tsx';
import { Link } from 'react-router-dom';
import { can } from '../../api/auth.ts';
import { errorMessage } from '../../api/errors.ts';
import { useMission } from '../../app/mission-context.ts';
import { t } from '../../i18n/index.ts';
import { useFeed, useProject } from '../../state/hooks.ts';
import type { TaskDetail } from '../../state/project-feed.ts';
import { Avatar } from '../../ui/Avatar.tsx';
import { ErrorState, Loading } from '../../ui/states.tsx';
import { dateTime } from '../../ui/time.ts';
import { CommentsSection } from './CommentsSection.tsx';
import { HelpAnswer } from './HelpAnswer.tsx';
import { LiveTerminal } from './LiveTerminal.tsx';

const NO_LINES: never[] = [];

export function TaskDrawer({ projectId, taskId, onClose }: { projectId: string; taskId: string; onClose: () => void }): React.JSX.Element {
  const { session } = useMission();
  const feed = useFeed(projectId);
  const task = useProject(projectId, (s) => s.tasks[taskId]);
  const lines = useProject(projectId, (s) => s.thoughts[taskId] ?? NO_LINES);
  // Comments, help and history are not in the task view: reload the detail when such an event lands.
  const detailSeq = useProject(projectId, (s) => s.activity.find((a) => a.actor_id === taskId && a.type !== 'thought.logged')?.seq ?? 0);
  const [detail, setDetail] = useState<TaskDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const editable = can(session, projectId, 'edit');
  const panel = useRef<HTMLElement>(null);

  const reload = useCallback(async () => {
    try {
      setDetail(await feed.loadTask(taskId));
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [feed, taskId]);

  useEffect(() => {
    void reload();
  }, [reload, detailSeq]);

  useEffect(() => {
    panel.current?.focus();
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape' && !document.querySelector('dialog[open]')) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose, taskId]);

  return (
    <div className="drawer-backdrop" onClick={onClose}>
      <aside
        ref={panel}
        className="drawer"
        role="dialog"
        aria-modal="true"
        aria-label={task?.title ?? taskId}
        data-testid="task-drawer"
        tabIndex={-1}
        onClick={(e) => e.stopPropagation()}
      >
        <header className="drawer-header">
          <span className="mono muted">{taskId}</span>
          {task && <span className={`status-pill st-${task.status}`}>{t.status[task.status]}</span>}
          <span className="spacer" />
          <Link className="button ghost small" to={`/p/${projectId}/inspect/${taskId}`}>
            {t.task.inspect}
          </Link>
          <button className="icon-button" aria-label={t.app.close} onClick={onClose}>
            ×
          </button>
        </header>
        {!task && !error && <Loading />}
        {!task && error && <ErrorState title={t.task.notFound} detail={error} onRetry={() => void reload()} />}
        {task && (
          <div className="drawer-body">
            <h2 className="drawer-title">{task.title}</h2>
            <dl className="facts">
              <dt>{t.task.assignee}</dt>
              <dd>
                {task.assignee_id ? (
                  <>
                    <Avatar id={task.assignee_id} size={18} /> {task.assignee_id}
                  </>
                ) : (
                  t.board.unassigned
                )}
              </dd>
              <dt>{t.task.priority}</dt>
              <dd>
                <span className={`prio prio-${task.priority}`}>{t.priority.p(task.priority)}</span> {t.priority.names[task.priority]}
              </dd>
              <dt>{t.task.attempts}</dt>
              <dd>{task.attempts}</dd>
              {task.depends_on.length > 0 && (
                <>
                  <dt>{t.task.dependsOn}</dt>
                  <dd className="mono">{task.depends_on.join(', ')}</dd>
                </>
              )}
              <dt>{t.task.updated}</dt>
              <dd>{dateTime(task.updated_at)}</dd>
            </dl>
            {task.status === 'blocked' && (
              <HelpAnswer task={task} editable={editable} onAnswered={() => void reload()} />
            )}
            <section className="section">
              <div className="markdown">{task.description ? <Markdown>{task.description}</Markdown> : <p className="muted">{t.task.noDescription}</p>}</div>
            </section>
            <section className="section">
              <h3>{t.task.terminal}</h3>
              <LiveTerminal lines={lines} />
            </section>
            <CommentsSection task={task} comments={detail?.comments ?? []} editable={editable} onPosted={() => void reload()} />
            {detail && detail.history.length > 0 && (
              <section className="section">
                <h3>{t.task.history}</h3>
                <ol className="history">
                  {detail.history.map((h, i) => (
                    <li key={i}>
                      <span className="muted small">{dateTime(h.ts)}</span> <span className="mono">{h.label}</span> {h.by && <span className="muted">· {h.by}</span>}
                    </li>
                  ))}
                </ol>
              </section>
            )}
          </div>
        )}
      </aside>
    </div>
  );
}
