import type { TaskStatusName } from '@core/task-status.ts';
import type { TaskView } from '@core/views.ts';
import { useState } from 'react';
import { t } from '../../i18n/index.ts';
import { TaskCard } from './TaskCard.tsx';

interface Props {
  status: TaskStatusName;
  tasks: TaskView[];
  total: number;
  editable: boolean;
  pendingIds: Set<string>;
  onDropTask: (taskId: string, status: TaskStatusName) => void;
  onOpen: (task: TaskView) => void;
  onCardKey: (e: React.KeyboardEvent, task: TaskView) => void;
}

/** Cards drawn per column before "show more": a long Done column must not slow the board. */
const PAGE = 150;

export function BoardColumn({ status, tasks, total, editable, pendingIds, onDropTask, onOpen, onCardKey }: Props): React.JSX.Element {
  const [over, setOver] = useState(false);
  const [limit, setLimit] = useState(PAGE);
  const shown = tasks.length > limit ? tasks.slice(0, limit) : tasks;
  return (
    <section
      className={`column${over ? ' drop-over' : ''}`}
      data-testid={`column-${status}`}
      data-status={status}
      aria-label={t.status[status]}
      onDragOver={(e) => {
        if (!editable || !e.dataTransfer.types.includes('application/x-mission-task')) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'move';
        if (!over) setOver(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
      }}
      onDrop={(e) => {
        setOver(false);
        const id = e.dataTransfer.getData('application/x-mission-task');
        if (!editable || !id) return;
        e.preventDefault();
        onDropTask(id, status);
      }}
    >
      <header className="column-header">
        <span className={`dot st-${status}`} />
        <span className="column-title">{t.status[status]}</span>
        <span className="column-count" data-testid={`count-${status}`}>
          {t.board.count(tasks.length, total)}
        </span>
      </header>
      <div className="column-body">
        {tasks.length === 0 && <div className="column-empty">{over ? t.board.dropHere : t.board.emptyColumn}</div>}
        {shown.map((task) => (
          <TaskCard key={task.id} task={task} draggable={editable} pending={pendingIds.has(task.id)} onOpen={onOpen} onKeyDown={onCardKey} />
        ))}
        {tasks.length > shown.length && (
          <button className="button ghost small show-more" onClick={() => setLimit((n) => n + PAGE)}>
            {t.board.showMore(Math.min(PAGE, tasks.length - shown.length))}
          </button>
        )}
      </div>
    </section>
  );
}
