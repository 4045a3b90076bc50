import type { Actor, AnyActor } from 'xstate';
import { RUNTIME, type CommittedEvent, type TaskView } from '../core/index.js';
import type { ProjectEvent, ProjectMachine } from '../machines/index.js';
import type { Runtime } from './runtime.js';

/** What the runtime does for the project actor's emitted events. */
export interface ProjectHookHandlers {
  /** `render_kanban`: KANBAN.md is regenerated (KanbanSync coalesces and spaces renders). */
  renderKanban(projectId: string): void;
  /** `assignment_needed`: the project's lead is told which tasks wait for an assignee. */
  assignmentNeeded(projectId: string, taskIds: string[]): void;
}

/** Task events that leave the board as it was (a thought line, a comment). */
const BOARD_NEUTRAL: ReadonlySet<string> = new Set(['thought.logged', 'task.commented']);

/**
 * The project actor's hooks (DESIGN "Actors": outbound messages are emitted, the runtime
 * listens). After each commit, the project actor of every project whose board changed is told
 * `board_changed`, and `assign_backlog` with the tasks that became unassigned backlog work; its
 * `render_kanban` and `assignment_needed` emits are what re-render KANBAN.md and nudge the lead.
 * Both are notifications, not transitions: the machine keeps its state and context, so nothing
 * is persisted for them (no event row, no commit, no snapshot write per board change).
 */
export class ProjectHooks {
  /** Actors already listened to; an actor recreated by a restore or a rollback is a new object. */
  private readonly listening = new WeakSet<AnyActor>();

  constructor(
    private readonly rt: Runtime,
    private readonly handlers: ProjectHookHandlers,
  ) {
    rt.committer.onCommitted((events) => this.committed(events));
  }

  private committed(events: readonly CommittedEvent[]): void {
    const changed = new Set<string>();
    const unassigned = new Map<string, string[]>();
    for (const e of events) {
      if (e.actor_kind !== 'task' || BOARD_NEUTRAL.has(e.type)) continue;
      changed.add(e.project_id);
      if (becameUnassignedBacklog(e)) {
        const ids = unassigned.get(e.project_id);
        if (ids) ids.push(e.actor_id);
        else unassigned.set(e.project_id, [e.actor_id]);
      }
    }
    for (const projectId of changed) this.guarded(() => this.tell(projectId, { type: 'board_changed', by: RUNTIME }));
    for (const [projectId, ids] of unassigned) this.guarded(() => this.tell(projectId, { type: 'assign_backlog', by: RUNTIME, task_ids: [...new Set(ids)] }));
  }

  /** Sends a notification the project actor accepts in its current state (a deleted one accepts none). */
  private tell(projectId: string, event: ProjectEvent): void {
    // A deleted project is passive (not resident): there is no board left to mirror or assign.
    if (!this.rt.host.isResident(projectId)) return;
    const entry = this.rt.host.find(projectId);
    if (!entry || entry.spec.kind !== 'project') return;
    this.listen(entry.actor);
    if (this.rt.host.can(entry, event)) entry.actor.send(event);
  }

  private listen(actor: AnyActor): void {
    if (this.listening.has(actor)) return;
    this.listening.add(actor);
    const project = actor as Actor<ProjectMachine>;
    // XState rethrows a listener's error from a timer (a crash): keep failures in the log.
    project.on('render_kanban', (e) => this.guarded(() => this.handlers.renderKanban(e.project_id)));
    project.on('assignment_needed', (e) => this.guarded(() => this.handlers.assignmentNeeded(e.project_id, e.task_ids)));
  }

  /** One project's failure (a snapshot that will not restore, a hook that throws) spares the others. */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.rt.log.error({ err: String(err) }, 'project hook failed');
    }
  }
}

/**
 * Whether the event put the task into the backlog without an assignee (created, reopened,
 * released, expired, unassigned); an edit of a task already waiting there is no news.
 */
function becameUnassignedBacklog(e: CommittedEvent): boolean {
  // The state value first: a task event's view is rendered when first read (RecordedPayload).
  if (e.type === 'task.updated' || e.payload.state_value !== 'backlog') return false;
  const view = e.payload.view as TaskView | undefined;
  return view?.assignee_id === null;
}
