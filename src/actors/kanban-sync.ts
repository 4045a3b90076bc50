import type { Runtime } from './runtime.js';

/** KANBAN.md is rewritten at most this often per project (each render reads the whole board). */
export const KANBAN_MIN_INTERVAL_MS = 200;
/** …and a render waits at least this many times the last render's duration (≤ 5 % of the time). */
const KANBAN_RENDER_SHARE = 19;

/**
 * Keeps KANBAN.md a mirror of the board (SPEC §7: the server is its only writer): when the
 * project actor emits `render_kanban` (after a commit that changed its board, see
 * project-hooks.ts), the file is regenerated from the committed rows. A render is an
 * after-commit effect of the project (queued behind its earlier effects, so the project folder
 * exists first); requests made while one is waiting coalesce into it, and renders of one
 * project are at least KANBAN_MIN_INTERVAL_MS (and 19 render durations) apart, so a busy or
 * huge board costs a bounded share of the loop, not one render per commit.
 */
export class KanbanSync {
  private readonly queued = new Set<string>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  /** When the next render of a project may start (performance.now()). */
  private readonly nextRender = new Map<string, number>();

  constructor(private readonly rt: Runtime) {}

  /** Asks for a render of the project's KANBAN.md (coalesced with one already waiting). */
  request(projectId: string): void {
    if (this.queued.has(projectId) || this.delayed.has(projectId)) return;
    const wait = (this.nextRender.get(projectId) ?? -Infinity) - performance.now();
    if (wait <= 0) return this.enqueue(projectId);
    // On time, ask again: a render that ran meanwhile may have pushed the next one further.
    const timer = setTimeout(() => {
      this.delayed.delete(projectId);
      this.request(projectId);
    }, wait);
    timer.unref();
    this.delayed.set(projectId, timer);
  }

  /** Renders waiting for their interval are queued now (stop, tests). */
  flushDelayed(): void {
    for (const [projectId, timer] of this.delayed) {
      clearTimeout(timer);
      this.delayed.delete(projectId);
      this.enqueue(projectId);
    }
  }

  get pending(): number {
    return this.queued.size + this.delayed.size;
  }

  /** Resolves when every requested render has been written. */
  async idle(): Promise<void> {
    this.flushDelayed();
    await this.rt.effects.idle();
  }

  private enqueue(projectId: string): void {
    this.queued.add(projectId);
    void this.rt.effects.run([projectId], [() => this.render(projectId)]);
  }

  private async render(projectId: string): Promise<void> {
    // Taken off before reading the board: a commit from now on needs a render of its own.
    this.queued.delete(projectId);
    if (this.rt.repos.projects.get(projectId)?.deleted_at != null) return;
    const started = performance.now();
    // Requests made while this render runs wait for it (the final spacing is set when it ends).
    this.nextRender.set(projectId, started + KANBAN_MIN_INTERVAL_MS);
    try {
      await this.rt.files.writeKanban(projectId, () => this.rt.repos.tasks.board(projectId));
    } catch (err) {
      this.rt.log.error({ err: String(err), project_id: projectId }, 'KANBAN.md render failed');
    } finally {
      const ended = performance.now();
      this.nextRender.set(projectId, ended + Math.max(KANBAN_MIN_INTERVAL_MS, KANBAN_RENDER_SHARE * (ended - started)));
    }
  }
}
