import type { TaskStatusName } from '@core/task-status.ts';
import type { TaskView } from '@core/views.ts';
import { useCallback, useState } from 'react';
import { errorCode, errorMessage, type RpcError } from '../../api/errors.ts';
import { useAction } from '../../app/use-action.ts';
import { t } from '../../i18n/index.ts';
import { objectFrom } from '../../state/results.ts';
import { useFeed } from '../../state/hooks.ts';
import { toasts } from '../../ui/toasts.tsx';

/**
 * Moves a task through `mission.task.move`: the card jumps to the target column at once, and a
 * refusal snaps it back with the machine's reason and the allowed targets.
 */
export function useMoveTask(projectId: string): {
  optimistic: Record<string, TaskStatusName>;
  move: (task: TaskView, target: TaskStatusName, reason?: string) => Promise<boolean>;
} {
  const act = useAction();
  const feed = useFeed(projectId);
  const [optimistic, setOptimistic] = useState<Record<string, TaskStatusName>>({});

  const move = useCallback(
    async (task: TaskView, target: TaskStatusName, reason?: string): Promise<boolean> => {
      if (task.status === target) return true;
      setOptimistic((o) => ({ ...o, [task.id]: target }));
      try {
        const params: Record<string, unknown> = { task_id: task.id, new_status: target };
        if (reason) params.reason = reason;
        const result = await act<unknown>('mission.task.move', params, t.board.moveRefused(t.status[target]));
        const view = objectFrom<TaskView>(result, 'task');
        if (view && typeof view.id === 'string' && typeof view.version === 'number') feed.upsertTask(view);
        return true;
      } catch (err) {
        if (errorCode(err) === 'ILLEGAL_TRANSITION') {
          const data = (err as RpcError).data;
          const allowed = Array.isArray(data.allowed) ? (data.allowed as string[]) : [];
          const names = allowed.map((s) => (s in t.status ? t.status[s as TaskStatusName] : s)).join(', ');
          toasts.push('error', t.board.moveRefused(t.status[target]), `${errorMessage(err)}. ${t.board.allowed(names)}`);
        }
        return false;
      } finally {
        setOptimistic((o) => {
          const { [task.id]: _, ...rest } = o;
          return rest;
        });
      }
    },
    [act, feed],
  );

  return { optimistic, move };
}

/** Moves that the spec says need a reason (block; reject from review). */
export function needsReason(from: TaskStatusName, to: TaskStatusName): boolean {
  return to === 'blocked' || (from === 'review' && to === 'in_progress');
}
