import type { CommittedEvent } from '../core/index.js';
import type { Runtime } from './runtime.js';

/**
 * Keeps KANBAN.md a mirror of the board (SPEC §7: the server is its only writer): after each
 * commit that touched a project's tasks, the file is regenerated from the committed rows. A
 * render is an after-commit effect of the project (queued behind its earlier effects, so the
 * project folder exists first); requests made while one is queued coalesce into it.
 */
export class KanbanSync {
  private readonly queued = new Set<string>();

  constructor(private readonly rt: Runtime) {}

  /** The commit listener: marks projects whose board changed. */
  readonly onCommitted = (events: CommittedEvent[]): void => {
    for (const e of events) if (e.actor_kind === 'task' && e.type !== 'thought.logged' && e.type !== 'task.commented') this.request(e.project_id);
  };

  request(projectId: string): void {
    if (this.queued.has(projectId)) return;
    this.queued.add(projectId);
    void this.rt.effects.run([projectId], [() => this.render(projectId)]);
  }

  /** Resolves when every requested render has been written. */
  async idle(): Promise<void> {
    await this.rt.effects.idle();
  }

  private async render(projectId: string): Promise<void> {
    // Taken off before reading the board: a commit from now on needs a render of its own.
    this.queued.delete(projectId);
    if (this.rt.repos.projects.get(projectId)?.deleted_at != null) return;
    try {
      await this.rt.files.writeKanban(projectId, this.rt.repos.tasks.board(projectId));
    } catch (err) {
      this.rt.log.error({ err: String(err), project_id: projectId }, 'KANBAN.md render failed');
    }
  }
}
