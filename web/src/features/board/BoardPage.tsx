import type { TaskStatusName } from '@core/task-status.ts';
import type { TaskView } from '@core/views.ts';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { can } from '../../api/auth.ts';
import { useMission } from '../../app/mission-context.ts';
import { isTypingTarget } from '../../app/ShortcutsDialog.tsx';
import { t } from '../../i18n/index.ts';
import { useProject } from '../../state/hooks.ts';
import { TaskDrawer } from '../task/TaskDrawer.tsx';
import { BoardColumn } from './BoardColumn.tsx';
import { ARCHIVE_COLUMN, BOARD_COLUMNS } from './columns.ts';
import { CreateTaskDialog } from './CreateTaskDialog.tsx';
import { ReasonDialog } from './ReasonDialog.tsx';
import { needsReason, useMoveTask } from './use-move-task.ts';

const byPriorityThenNumber = (a: TaskView, b: TaskView): number =>
  a.priority - b.priority || Number(a.id.slice(a.id.lastIndexOf('-') + 1)) - Number(b.id.slice(b.id.lastIndexOf('-') + 1));

// Finished work reads best newest first.
const byMostRecent = (a: TaskView, b: TaskView): number => b.updated_at - a.updated_at;

export function BoardPage(): React.JSX.Element {
  const { projectId = '', taskId } = useParams();
  const { session } = useMission();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams();
  const tasks = useProject(projectId, (s) => s.tasks);
  const agents = useProject(projectId, (s) => s.agents);
  const editable = can(session, projectId, 'edit');
  const { optimistic, move } = useMoveTask(projectId);
  const [creating, setCreating] = useState(false);
  const [askReason, setAskReason] = useState<{ task: TaskView; target: TaskStatusName } | null>(null);

  const agentFilter = search.get('agent') ?? '';
  const priorityFilter = Number(search.get('priority') ?? 0);
  const showArchive = search.get('archive') === '1';
  const columns = showArchive ? [...BOARD_COLUMNS, ARCHIVE_COLUMN] : BOARD_COLUMNS;

  const setFilter = (key: string, value: string): void => {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    setSearch(next, { replace: true });
  };

  const { grouped, totals } = useMemo(() => {
    const grouped = new Map<TaskStatusName, TaskView[]>();
    const totals = new Map<TaskStatusName, number>();
    for (const task of Object.values(tasks)) {
      const status = optimistic[task.id] ?? task.status;
      totals.set(status, (totals.get(status) ?? 0) + 1);
      if (agentFilter === '-' ? task.assignee_id !== null : agentFilter && task.assignee_id !== agentFilter) continue;
      if (priorityFilter && task.priority !== priorityFilter) continue;
      const list = grouped.get(status) ?? [];
      list.push(status === task.status ? task : { ...task, status });
      grouped.set(status, list);
    }
    for (const [status, list] of grouped) list.sort(status === 'done' || status === 'archived' ? byMostRecent : byPriorityThenNumber);
    return { grouped, totals };
  }, [tasks, optimistic, agentFilter, priorityFilter]);

  const pendingIds = useMemo(() => new Set(Object.keys(optimistic)), [optimistic]);
  const assignees = useMemo(() => {
    const ids = new Set<string>();
    for (const a of Object.values(agents)) ids.add(a.soul_id);
    for (const task of Object.values(tasks)) if (task.assignee_id) ids.add(task.assignee_id);
    return [...ids].sort();
  }, [agents, tasks]);

  const requestMove = useCallback(
    (id: string, target: TaskStatusName) => {
      const task = tasks[id];
      if (!task || task.status === target) return;
      if (needsReason(task.status, target)) setAskReason({ task, target });
      else void move(task, target);
    },
    [tasks, move],
  );

  const open = useCallback((task: TaskView) => navigate(`/p/${projectId}/t/${task.id}${location.search}`), [navigate, projectId]);

  const onCardKey = useCallback(
    (e: React.KeyboardEvent, task: TaskView) => {
      const status = optimistic[task.id] ?? task.status;
      const col = columns.indexOf(status);
      const list = grouped.get(status) ?? [];
      const row = list.findIndex((x) => x.id === task.id);
      const focusAt = (c: number, r: number): void => {
        const target = columns[c];
        if (!target) return;
        const cards = document.querySelectorAll<HTMLElement>(`[data-testid="column-${target}"] .task-card`);
        cards[Math.max(0, Math.min(r, cards.length - 1))]?.focus();
      };
      if (e.key === 'Enter') open(task);
      else if (e.shiftKey && (e.key === 'ArrowRight' || e.key === 'ArrowLeft') && editable) {
        const target = columns[col + (e.key === 'ArrowRight' ? 1 : -1)];
        if (target) requestMove(task.id, target);
      } else if (e.key === 'ArrowDown') focusAt(col, row + 1);
      else if (e.key === 'ArrowUp') focusAt(col, row - 1);
      else if (e.key === 'ArrowRight') focusAt(col + 1, row);
      else if (e.key === 'ArrowLeft') focusAt(col - 1, row);
      else return;
      e.preventDefault();
    },
    [columns, grouped, optimistic, open, requestMove, editable],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'c' || !editable || isTypingTarget(e.target) || e.metaKey || e.ctrlKey || document.querySelector('dialog[open]')) return;
      e.preventDefault();
      setCreating(true);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [editable]);

  return (
    <div className="board-page">
      <div className="toolbar">
        <select aria-label={t.board.filterAgent} data-testid="filter-agent" value={agentFilter} onChange={(e) => setFilter('agent', e.target.value)}>
          <option value="">{t.board.anyAgent}</option>
          <option value="-">{t.board.unassigned}</option>
          {assignees.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <select aria-label={t.priority.label} data-testid="filter-priority" value={priorityFilter || ''} onChange={(e) => setFilter('priority', e.target.value)}>
          <option value="">{t.priority.any}</option>
          {[1, 2, 3, 4, 5].map((p) => (
            <option key={p} value={p}>
              {t.priority.p(p)} · {t.priority.names[p]}
            </option>
          ))}
        </select>
        <button className="button ghost small" data-testid="toggle-archive" onClick={() => setFilter('archive', showArchive ? '' : '1')}>
          {showArchive ? t.board.hideArchive : t.board.showArchive}
        </button>
        <span className="spacer" />
        {editable && (
          <button className="button primary" data-testid="new-task" onClick={() => setCreating(true)} title="c">
            {t.board.newTask} <kbd>c</kbd>
          </button>
        )}
      </div>
      <div className={`board cols-${columns.length}`} data-testid="board" data-editable={editable}>
        {columns.map((status) => (
          <BoardColumn
            key={status}
            status={status}
            tasks={grouped.get(status) ?? []}
            total={totals.get(status) ?? 0}
            editable={editable}
            pendingIds={pendingIds}
            onDropTask={requestMove}
            onOpen={open}
            onCardKey={onCardKey}
          />
        ))}
      </div>
      <CreateTaskDialog projectId={projectId} assignees={assignees} open={creating} onClose={() => setCreating(false)} />
      <ReasonDialog
        request={askReason}
        onCancel={() => setAskReason(null)}
        onSubmit={(reason) => {
          if (askReason) void move(askReason.task, askReason.target, reason);
          setAskReason(null);
        }}
      />
      {taskId && <TaskDrawer projectId={projectId} taskId={taskId} onClose={() => navigate(`/p/${projectId}${location.search}`)} />}
    </div>
  );
}
