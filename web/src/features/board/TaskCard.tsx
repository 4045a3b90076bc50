import type { TaskView } from '@core/views.ts';
import { memo } from 'react';
import { t } from '../../i18n/index.ts';
import { Avatar } from '../../ui/Avatar.tsx';

interface Props {
  task: TaskView;
  draggable: boolean;
  pending: boolean;
  onOpen: (task: TaskView) => void;
  onKeyDown: (e: React.KeyboardEvent, task: TaskView) => void;
}

/** Drawn, not a font glyph: a chain character is missing from many system fonts (tofu box). */
function LinkIcon(): React.JSX.Element {
  return (
    <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round">
      <path d="M6.5 9.5l3-3" />
      <path d="M7 4.5l1.2-1.2a2.6 2.6 0 013.7 3.7L10.7 8.2" />
      <path d="M9 11.5l-1.2 1.2a2.6 2.6 0 01-3.7-3.7l1.2-1.2" />
    </svg>
  );
}

export const TaskCard = memo(function TaskCard({ task, draggable, pending, onOpen, onKeyDown }: Props): React.JSX.Element {
  return (
    <article
      className={`task-card${pending ? ' pending' : ''}`}
      data-testid={`card-${task.id}`}
      data-task-id={task.id}
      data-status={task.status}
      tabIndex={0}
      draggable={draggable}
      aria-label={`${task.id} ${task.title}`}
      onDragStart={(e) => {
        e.dataTransfer.setData('application/x-mission-task', task.id);
        e.dataTransfer.setData('text/plain', task.id);
        e.dataTransfer.effectAllowed = 'move';
      }}
      onClick={() => onOpen(task)}
      onKeyDown={(e) => onKeyDown(e, task)}
    >
      <div className="task-card-top">
        <span className="mono muted small">{task.id}</span>
        <span className={`prio prio-${task.priority}`} title={`${t.priority.label}: ${t.priority.names[task.priority] ?? task.priority}`}>
          {t.priority.p(task.priority)}
        </span>
      </div>
      <div className="task-title">{task.title}</div>
      {task.status === 'blocked' && task.blocked_reason && (
        <div className="blocked-reason" title={task.blocked_reason}>
          {task.blocked_reason}
        </div>
      )}
      <div className="task-card-bottom">
        {task.assignee_id ? <Avatar id={task.assignee_id} size={20} /> : <span className="avatar-empty" title={t.board.unassigned} />}
        {task.assignee_id && <span className="small muted">{task.assignee_id}</span>}
        <span className="spacer" />
        {task.depends_on.length > 0 && (
          <span className="small muted depends" title={`${t.task.dependsOn}: ${task.depends_on.join(', ')}`}>
            <LinkIcon />
            {task.depends_on.length}
          </span>
        )}
        {task.attempts > 0 && <span className="small text-warn">{t.board.attempts(task.attempts)}</span>}
      </div>
    </article>
  );
});
