import type { CommittedEvent } from '../core/index.js';
import type { Runtime } from './runtime.js';

/**
 * Keeps KANBAN.md a mirror of the board (SPEC §7: the server is its only writer): after each
 * commit that touched a project's tasks, the file is regenerated from the committed rows. One
 * render per project at a time; changes committed meanwhile coalesce into one more render.
 */
export class KanbanSync {
  private readonly rendering = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();

  constructor(private readonly rt: Runtime) {}

  /** The commit listener: marks projects whose board changed. */
  readonly onCommitted = (events: CommittedEvent[]): void => {
    if (!this.rt.files.writeKanban) return;
    for (const e of events) if (e.actor_kind === 'task' && e.type !== 'thought.logged' && e.type !== 'task.commented') this.request(e.project_id);
  };

  request(projectId: string): void {
    this.dirty.add(projectId);
    if (!this.rendering.has(projectId)) this.rendering.set(projectId, this.drain(projectId));
  }

  /** Resolves when every requested render has been written. */
  async idle(): Promise<void> {
    while (this.rendering.size > 0) await Promise.allSettled([...this.rendering.values()]);
  }

  private async drain(projectId: string): Promise<void> {
    try {
      while (this.dirty.delete(projectId)) {
        if (this.rt.repos.projects.get(projectId)?.deleted_at != null) continue;
        try {
          await this.rt.files.writeKanban?.(projectId, this.rt.repos.tasks.board(projectId));
        } catch (err) {
          this.rt.log.error({ err: String(err), project_id: projectId }, 'KANBAN.md render failed');
        }
      }
    } finally {
      this.rendering.delete(projectId);
    }
  }
}
