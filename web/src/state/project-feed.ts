import { notificationFor } from '@core/feed.ts';
import type { AgentView, CommittedEvent, ProjectView, TaskEventView, TaskView } from '@core/views.ts';
import { errorCode, errorMessage } from '../api/errors.ts';
import type { MissionSocket } from '../api/mission-socket.ts';
import { RemoteActorRef } from '../api/remote-actor.ts';
import { applyActorSnapshot, applyNotification, FEED_METHODS, seqOf, type FeedMessage } from './apply-notification.ts';
import { ACTIVITY_BACKFILL, emptyProjectState, type ProjectState, type ThoughtLine } from './project-state.ts';
import { listFrom, objectFrom } from './results.ts';

export type FeedNotice = 'full_sync';

/** How long an out-of-order notification may wait for the missing seq before a replay is asked. */
const GAP_WAIT_MS = 800;
const PAGE = 5000;

/**
 * One project's live state: loaded once, then kept current by the feed. Tracks the last `seq`,
 * applies notifications strictly in order, and replays from the log after a gap or a reconnect
 * (`mission.subscribe {since_seq}`), reloading everything on FULL_SYNC_REQUIRED.
 */
export class ProjectFeed {
  readonly ref: RemoteActorRef<ProjectState>;
  private readonly early = new Map<number, FeedMessage>();
  private gapTimer: ReturnType<typeof setTimeout> | null = null;
  private resyncing: Promise<void> | null = null;
  private loading: Promise<void> | null = null;

  constructor(
    readonly projectId: string,
    private readonly socket: MissionSocket,
    private readonly onNotice: (notice: FeedNotice) => void,
  ) {
    this.ref = new RemoteActorRef<ProjectState>(`project:${projectId}`, emptyProjectState());
  }

  load(): Promise<void> {
    this.loading ??= this.fullLoad().finally(() => (this.loading = null));
    return this.loading;
  }

  handle(n: FeedMessage): void {
    if (!FEED_METHODS.has(n.method) || n.params.project_id !== this.projectId) return;
    if (n.method === 'mission.actor_snapshot') {
      this.ref.update((s) => applyActorSnapshot(s, n));
      return;
    }
    const state = this.ref.getSnapshot();
    if (state.phase !== 'ready') return; // the load's subscribe replays whatever this was
    const seq = seqOf(n);
    if (seq === null || seq <= state.last_seq) return;
    if (seq === state.last_seq + 1) {
      this.ref.update((s) => applyNotification(s, n));
      this.drainEarly();
      return;
    }
    this.early.set(seq, n);
    this.gapTimer ??= setTimeout(() => {
      this.gapTimer = null;
      if (this.early.size > 0) void this.resync();
    }, GAP_WAIT_MS);
  }

  /** Replays every event after the last seen seq (after a reconnect or a gap). */
  resync(): Promise<void> {
    if (this.ref.getSnapshot().phase !== 'ready') return this.load();
    this.resyncing ??= this.subscribe().finally(() => (this.resyncing = null));
    return this.resyncing;
  }

  /** Writes an authoritative task (e.g. a command's answer) without waiting for the feed. */
  upsertTask(task: TaskView): void {
    this.ref.update((s) => {
      const current = s.tasks[task.id];
      if (current && current.version > task.version) return s;
      return { ...s, tasks: { ...s.tasks, [task.id]: task } };
    });
  }

  /** Loads one task with its thought stream; returns the raw detail for comments and history. */
  async loadTask(taskId: string): Promise<TaskDetail> {
    const [result, log] = await Promise.all([
      this.socket.request<unknown>('mission.task.get', { task_id: taskId, events_limit: 500 }),
      // The actor's own event log is the task's history (and carries comment texts).
      this.socket.request<unknown>('mission.inspect.events', { actor_id: taskId, limit: 500 }).catch(() => null),
    ]);
    const detail = toTaskDetail(result, listFrom<CommittedEvent>(log, 'events'));
    this.upsertTask(detail.task);
    this.ref.update((s) => {
      const known = new Set(detail.thoughts.map((l) => l.seq).filter((x): x is number => x !== null));
      const live = (s.thoughts[taskId] ?? []).filter((l) => l.seq !== null && !known.has(l.seq) && !detail.thoughts.some((d) => sameLine(d, l)));
      return { ...s, thoughts: { ...s.thoughts, [taskId]: [...detail.thoughts, ...live] } };
    });
    return detail;
  }

  private async fullLoad(): Promise<void> {
    this.early.clear();
    this.ref.update((s) => ({ ...s, phase: s.phase === 'ready' ? 'ready' : 'loading', error: null }));
    try {
      // mission.project.get is a consistent snapshot with the seq it reflects; the replay starts there.
      const snap = (await this.socket.request<unknown>('mission.project.get', { project_id: this.projectId })) as Record<string, unknown>;
      const project = objectFrom<ProjectView>(snap, 'project');
      const tasks = Array.isArray(snap.tasks) ? (snap.tasks as TaskView[]) : await this.fetchTasks();
      const agents = Array.isArray(snap.agents) ? (snap.agents as AgentView[]) : await this.fetchAgents();
      const lastSeq = typeof snap.last_seq === 'number' ? snap.last_seq : (project?.last_seq ?? 0);
      this.ref.update((s) => ({
        ...emptyProjectState(),
        phase: 'ready',
        project,
        tasks: Object.fromEntries(tasks.map((t) => [t.id, t])),
        agents: Object.fromEntries(agents.map((a) => [a.id, a])),
        thoughts: s.thoughts,
        // Replay the last events too, to fill the activity feed; they do not touch the snapshot.
        last_seq: Math.max(0, lastSeq - ACTIVITY_BACKFILL),
        baseline_seq: lastSeq,
        last_activity_at: project?.updated_at ?? null,
      }));
      await this.subscribe();
    } catch (err) {
      this.ref.update((s) => ({ ...s, phase: s.phase === 'ready' ? 'ready' : 'failed', error: errorMessage(err) }));
    }
  }

  private async fetchTasks(): Promise<TaskView[]> {
    const all: TaskView[] = [];
    let cursor: string | null = null;
    do {
      const params: Record<string, unknown> = { project_id: this.projectId, limit: PAGE };
      if (cursor) params.cursor = cursor;
      const result = await this.socket.request<{ next_cursor?: string | null }>('mission.task.list', params);
      all.push(...listFrom<TaskView>(result, 'tasks'));
      cursor = result && typeof result === 'object' && typeof result.next_cursor === 'string' ? result.next_cursor : null;
    } while (cursor);
    return all;
  }

  private async fetchAgents(): Promise<AgentView[]> {
    return listFrom<AgentView>(await this.socket.request('mission.agent.list', { project_id: this.projectId }), 'agents');
  }

  private async subscribe(): Promise<void> {
    const since = this.ref.getSnapshot().last_seq;
    try {
      const result = await this.socket.request<unknown>('mission.subscribe', { project_id: this.projectId, since_seq: since });
      for (const item of listFrom<unknown>(result, 'events')) {
        const n = asFeedMessage(item);
        if (n) this.ref.update((s) => applyNotification(s, n));
      }
      // Anything still buffered past a hole the log could not fill is applied as the new base.
      this.drainEarly(true);
    } catch (err) {
      if (errorCode(err) === 'FULL_SYNC_REQUIRED') {
        const state = this.ref.getSnapshot();
        if (state.last_seq < state.baseline_seq) {
          // The backfill reached past the retained log: start from the snapshot without history.
          this.ref.update((s) => ({ ...s, last_seq: s.baseline_seq }));
          return this.subscribe();
        }
        this.onNotice('full_sync');
        this.ref.update((s) => ({ ...s, phase: 'loading' }));
        await this.fullLoad();
        return;
      }
      throw err;
    }
  }

  private drainEarly(skipHoles = false): void {
    for (;;) {
      const last = this.ref.getSnapshot().last_seq;
      for (const seq of [...this.early.keys()]) if (seq <= last) this.early.delete(seq);
      let next = this.early.get(last + 1);
      if (!next && skipHoles && this.early.size > 0) next = this.early.get(Math.min(...this.early.keys()));
      if (!next) break;
      this.early.delete(seqOf(next)!);
      this.ref.update((s) => applyNotification(s, next));
    }
  }
}

export interface CommentView {
  id: string;
  author: string;
  text: string;
  ts: number;
}

export interface TaskDetail {
  task: TaskView;
  thoughts: ThoughtLine[];
  comments: CommentView[];
  history: { ts: number; label: string; by: string }[];
}

function asFeedMessage(item: unknown): FeedMessage | null {
  if (!item || typeof item !== 'object') return null;
  const o = item as Record<string, unknown>;
  if (typeof o.method === 'string' && o.params && typeof o.params === 'object') return o as unknown as FeedMessage;
  if (typeof o.seq === 'number' && typeof o.actor_kind === 'string' && o.payload) {
    return notificationFor(o as unknown as CommittedEvent) as unknown as FeedMessage;
  }
  return null;
}

function sameLine(a: ThoughtLine, b: ThoughtLine): boolean {
  return a.thought === b.thought && a.action === b.action && a.instance_id === b.instance_id && Math.abs(a.ts - b.ts) < 1000;
}

/** Reads `mission.task.get`'s answer: the task plus its thought stream, comments and history. */
export function toTaskDetail(result: unknown, log: CommittedEvent[] = []): TaskDetail {
  const r = (result ?? {}) as Record<string, unknown>;
  const task = (objectFrom<TaskView>(result, 'task') ?? r) as TaskView;
  const rawEvents = [...listFrom<TaskEventView>(r, 'events'), ...listFrom<TaskEventView>(r, 'task_events'), ...listFrom<TaskEventView>(r, 'thoughts')];
  const thoughts: ThoughtLine[] = rawEvents
    .filter((e) => e.kind !== 'comment')
    .map((e) => ({
      key: `id:${e.id}`,
      task_id: e.task_id ?? task.id,
      instance_id: e.instance_id ?? null,
      thought: e.thought ?? '',
      action: e.action ?? '',
      kind: e.kind ?? 'log',
      ts: e.created_at,
      seq: typeof (e as { seq?: unknown }).seq === 'number' ? (e as unknown as { seq: number }).seq : null,
    }));
  const comments: CommentView[] = [];
  for (const c of [...listFrom<Record<string, unknown>>(r, 'comments'), ...listFrom<Record<string, unknown>>(r, 'messages')]) {
    comments.push({
      id: String(c.id ?? comments.length),
      author: String(c.author_id ?? c.author ?? c.by ?? ''),
      text: String(c.text ?? ''),
      ts: Number(c.created_at ?? c.ts ?? 0),
    });
  }
  for (const e of rawEvents) {
    if (e.kind === 'comment') comments.push({ id: `te:${e.id}`, author: e.instance_id ?? '', text: e.thought, ts: e.created_at });
  }
  const history: TaskDetail['history'] = [];
  for (const e of log) {
    if (e.type === 'thought.logged') continue;
    const by = e.payload.by?.id ?? e.payload.by?.kind ?? '';
    const detailText = e.payload.detail?.text ?? e.payload.event.text;
    if (e.type === 'task.commented' && typeof detailText === 'string' && !comments.some((c) => c.text === detailText)) {
      comments.push({ id: `seq:${e.seq}`, author: by, text: detailText, ts: e.ts });
    }
    history.push({ ts: e.ts, label: describeEvent(e), by });
  }
  comments.sort((a, b) => a.ts - b.ts);
  return { task, thoughts, comments, history };
}

function describeEvent(e: CommittedEvent): string {
  const view = e.payload.view as { status?: string } | undefined;
  if (e.type === 'task.moved') return `${e.payload.event.type}${view?.status ? ` → ${view.status}` : ''}`;
  return e.type;
}
