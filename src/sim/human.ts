import type { TaskView } from '../core/index.js';
import type { SimRng } from './rng.js';

/** A board user's or operator's command, as sent over `/rpc` (the key is added by the caller). */
export interface HumanCommand {
  method: string;
  params: Record<string, unknown>;
}

export interface BoardState {
  projectId: string;
  souls: readonly string[];
  tasks: readonly TaskView[];
}

const WORDS = ['api', 'ui', 'tests', 'docs', 'backend', 'frontend', 'deploy', 'login', 'cache', 'search', 'billing', 'metrics'];
const STATUSES = ['backlog', 'in_progress', 'done', 'blocked', 'archived', 'review', 'In-Progress', '2'];

/**
 * What humans do on the board (SPEC §1, §5), chosen from the seed: create, move (legal or not:
 * refusals are part of the test), assign, answer help, comment, edit, pause/resume/pulse/destroy agents.
 */
export function humanCommand(rng: SimRng, board: BoardState, serial: number): HumanCommand {
  const { projectId, souls, tasks } = board;
  const kind = tasks.length === 0 ? 'create' : rng.weighted({ create: 5, move: 7, assign: 3, answer: 3, comment: 2, update: 1, agent: 2 });
  const task = tasks.length > 0 ? rng.pick(tasks) : undefined;
  switch (kind) {
    case 'create': {
      const words = [rng.pick(WORDS), rng.pick(WORDS)];
      const deps = tasks.length > 0 && rng.chance(0.2) ? [rng.pick(tasks).id] : [];
      return {
        method: 'mission.task.create',
        params: {
          project_id: projectId,
          title: `Sim ${serial}: ${words.join(' ')}`,
          priority: rng.int(1, 5),
          ...(rng.chance(0.5) && souls.length > 0 ? { assignee_id: rng.pick(souls) } : {}),
          ...(deps.length > 0 ? { depends_on: deps } : {}),
        },
      };
    }
    case 'move': {
      const target = rng.pick(STATUSES);
      return { method: 'mission.task.move', params: { task_id: task!.id, new_status: target, reason: `sim reason ${serial}` } };
    }
    case 'assign':
      return { method: 'mission.task.assign', params: { task_id: task!.id, assignee_id: rng.chance(0.2) || souls.length === 0 ? null : rng.pick(souls) } };
    case 'answer': {
      const blocked = tasks.filter((t) => t.status === 'blocked');
      return { method: 'mission.task.answer_help', params: { task_id: (blocked.length > 0 ? rng.pick(blocked) : task!).id, answer: `Try the simpler way (${serial}).` } };
    }
    case 'comment':
      return { method: 'mission.task.comment', params: { task_id: task!.id, text: `Note ${serial}${souls.length > 0 && rng.chance(0.5) ? ` @${rng.pick(souls)}` : ''}` } };
    case 'update':
      return { method: 'mission.task.update', params: { task_id: task!.id, priority: rng.int(1, 5), title: `${task!.title} (edited)`.slice(0, 500) } };
    default: {
      const instance = `${rng.pick(souls)}:${projectId}`;
      const action = rng.weighted({ pause: 2, resume: 3, pulse_now: 2, destroy: 0.4 });
      return { method: `mission.agent.${action}`, params: { instance_id: instance } };
    }
  }
}
