import type { By, Clock, CommandEnvelope, CommandName, CommandParams, MissionRuntime, TaskView, TimerHandle } from '../core/index.js';
import type { Repositories } from '../store/index.js';

/**
 * The demo's human operator (SPEC §3 keeps some moves for humans: answering help, archiving,
 * reopening). Without one the demo stalls: every agent that asks for help stays blocked, and
 * done cards pile up. Every `everyMs` it looks at the board and makes at most ONE move, so the
 * board stays calm: answer the longest-waiting help request, else archive the oldest done card
 * beyond the few kept on show, else now and then reopen a finished task ("QA found a
 * regression"). It acts through the runtime like the seeder, as user `demo-operator`.
 */
export interface DemoDirectorOptions {
  runtime: MissionRuntime;
  repos: Pick<Repositories, 'tasks'>;
  projectId: string;
  clock: Clock;
  /** Milliseconds between looks at the board (default 6 s). */
  everyMs?: number;
  /** A help request waits this long before the operator answers it (default 25 s). */
  answerAfterMs?: number;
  /** A done card stays on the board this long before it may be archived (default 45 s). */
  archiveAfterMs?: number;
  /** Done cards always left on show (default 4). */
  keepDone?: number;
  /** Every Nth look, when nothing else is due, reopens the newest done task (default 15). */
  reopenEvery?: number;
  onError?: (err: unknown) => void;
}

export const DEMO_OPERATOR: By = { kind: 'human', userId: 0, username: 'demo-operator', role: 'admin' };

const ANSWERS = [
  'Go with the simpler reading; we can revisit after the demo.',
  'Credentials are in the team vault under staging; use the read-only pair.',
  'The upstream API is rate limiting us; back off and retry with jitter.',
  'Ship it behind a flag and note the open question in the chronicle.',
];

export type DirectorMove = { kind: 'answer' | 'archive' | 'reopen'; task_id: string } | null;

export class DemoDirector {
  private timer: TimerHandle | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private looks = 0;
  private answers = 0;
  private readonly o: Required<Omit<DemoDirectorOptions, 'onError'>> & Pick<DemoDirectorOptions, 'onError'>;

  constructor(options: DemoDirectorOptions) {
    this.o = { everyMs: 6_000, answerAfterMs: 25_000, archiveAfterMs: 45_000, keepDone: 4, reopenEvery: 15, ...options };
  }

  start(): void {
    this.arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.at(this.o.clock.now() + this.o.everyMs, () => {
      this.running = this.look()
        .catch((err: unknown) => this.o.onError?.(err))
        .finally(() => this.arm());
    });
  }

  /** One look at the board: the move made, or null when nothing was due. */
  async look(): Promise<DirectorMove> {
    this.looks++;
    const now = this.o.clock.now();
    const board = this.o.repos.tasks.board(this.o.projectId);
    const oldestFirst = (a: TaskView, b: TaskView): number => a.updated_at - b.updated_at;

    const waiting = board.filter((t) => t.status === 'blocked' && now - t.updated_at >= this.o.answerAfterMs).sort(oldestFirst)[0];
    if (waiting) {
      const answer = ANSWERS[this.answers++ % ANSWERS.length]!;
      await this.run('task.answer_help', { task_id: waiting.id, answer });
      return { kind: 'answer', task_id: waiting.id };
    }

    const done = board.filter((t) => t.status === 'done').sort(oldestFirst);
    const stale = done.slice(0, Math.max(0, done.length - this.o.keepDone)).find((t) => now - t.updated_at >= this.o.archiveAfterMs);
    if (stale) {
      await this.run('task.move', { task_id: stale.id, new_status: 'archived' });
      return { kind: 'archive', task_id: stale.id };
    }

    const newest = done[done.length - 1];
    if (newest && this.looks % this.o.reopenEvery === 0) {
      await this.run('task.move', { task_id: newest.id, new_status: 'backlog', reason: 'QA found a regression' });
      return { kind: 'reopen', task_id: newest.id };
    }
    return null;
  }

  private run<N extends CommandName>(name: N, params: CommandParams<N>): Promise<unknown> {
    return this.o.runtime.execute({ name, params, by: DEMO_OPERATOR, principal_key: 'demo-operator' } as CommandEnvelope<N>);
  }
}

/** Starts the operator on the demo project; the answer stops it (for the server's closers). */
export function startDemoDirector(options: DemoDirectorOptions): () => Promise<void> {
  const director = new DemoDirector(options);
  director.start();
  return () => director.stop();
}
