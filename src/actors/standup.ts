import { RUNTIME, type CommittedEvent, type TimerHandle } from '../core/index.js';
import type { Runtime, RuntimeLogger } from './runtime.js';
import { composeStandup, renderStandup, STANDUP_EVENT_TYPES, standupSummary, type Standup } from './standup-report.js';

/**
 * The daily standup scheduler (issue 7): once per UTC day per live project, at `hourUtc`, it
 * writes the standup into `daily/YYYY-MM-DD.md` and commits a `standup.written` event on the
 * project actor, which the feed delivers as `mission.event.broadcast`. Durable by the event log:
 * the last `standup.written` of a project says which day is done and where the next period
 * starts, so a restart neither repeats a standup nor loses one (a missed day is written on start).
 */
export interface StandupSchedulerOptions {
  /** Appends the standup to the project's daily log; answers the document's name. */
  writeDaily: (projectId: string, at: number, text: string) => Promise<{ name: string }>;
  /** Hour of the UTC day from which the day's standup is due (default 0: the first check of the day). */
  hourUtc?: number;
  /** How often due standups are looked for, so projects created during the day get theirs (default 15 min). */
  checkEveryMs?: number;
  logger?: Pick<RuntimeLogger, 'info' | 'error'>;
}

export interface WrittenStandup {
  standup: Standup;
  name: string;
  seq: number;
}

const EVENT_PAGE = 5_000;

export function utcDate(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export class StandupScheduler {
  private readonly hourMs: number;
  private readonly checkEveryMs: number;
  private timer: TimerHandle | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly rt: Runtime,
    private readonly opts: StandupSchedulerOptions,
  ) {
    const hour = opts.hourUtc ?? 0;
    if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new RangeError(`hourUtc must be an integer 0-23, got ${hour}`);
    this.hourMs = hour * 60 * 60 * 1000;
    this.checkEveryMs = Math.max(1_000, opts.checkEveryMs ?? 15 * 60 * 1000);
  }

  /** Writes what is due now (catch-up after a restart), then checks again every `checkEveryMs`. */
  start(): void {
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.running
      .then(async () => void (await this.writeDue()))
      .catch((err: unknown) => this.opts.logger?.error({ err: String(err) }, 'standup check failed'));
    void this.running.then(() => {
      if (!this.stopped) this.timer = this.rt.clock.at(this.rt.clock.now() + this.checkEveryMs, () => this.tick());
    });
  }

  /** Writes the standup of every live project whose standup for today is due and not yet written. */
  async writeDue(): Promise<WrittenStandup[]> {
    const now = this.rt.clock.now();
    const today = utcDate(now);
    if (now < Date.parse(`${today}T00:00:00Z`) + this.hourMs) return [];
    const written: WrittenStandup[] = [];
    for (const project of this.rt.repos.projects.list()) {
      if (this.stopped) break;
      if (project.archived_at !== null) continue;
      if (this.lastStandup(project.id)?.date === today) continue;
      try {
        written.push(await this.writeNow(project.id));
      } catch (err) {
        this.opts.logger?.error({ err: String(err), project: project.id }, 'standup not written');
      }
    }
    return written;
  }

  /** The project's latest `standup.written`, from the event log (newest first, the project actor's events only). */
  lastStandup(projectId: string): { date: string; seq: number; at: number } | null {
    let before = Number.MAX_SAFE_INTEGER;
    for (;;) {
      const page = this.rt.repos.events.forActor(projectId, before, 200);
      const hit = page.find((e) => e.type === 'standup.written');
      if (hit) return { date: String(hit.payload.detail?.date ?? utcDate(hit.ts)), seq: hit.seq, at: hit.ts };
      if (page.length < 200) return null;
      before = page[page.length - 1]!.seq;
    }
  }

  /**
   * Runs a file write behind the project's pending after-commit effects (its folder is created by
   * one), so a standup of a project created a moment ago never races its folder. Errors come back.
   */
  private async inProjectOrder<T>(projectId: string, write: () => Promise<T>): Promise<T> {
    let outcome: { ok: true; value: T } | { ok: false; err: unknown } | null = null;
    await this.rt.effects.run([projectId], [
      async () => {
        try {
          outcome = { ok: true, value: await write() };
        } catch (err) {
          outcome = { ok: false, err };
        }
      },
    ]);
    const done = outcome as { ok: true; value: T } | { ok: false; err: unknown } | null;
    if (!done) throw new Error('standup write did not run');
    if (!done.ok) throw done.err;
    return done.value;
  }

  /** Writes a standup now (on demand or when due): the file first, then the event that marks it done. */
  async writeNow(projectId: string): Promise<WrittenStandup> {
    const at = this.rt.clock.now();
    const last = this.lastStandup(projectId);
    const standup = composeStandup({
      project_id: projectId,
      date: utcDate(at),
      since: last?.at ?? null,
      at,
      tasks: this.rt.repos.tasks.board(projectId),
      events: this.periodEvents(projectId, last?.seq ?? 0),
    });
    const { name } = await this.inProjectOrder(projectId, () => this.opts.writeDaily(projectId, at, renderStandup(standup)));
    const summary = standupSummary(standup);
    const seq = await this.rt.runInternal((unit) => {
      const project = this.rt.host.require(projectId, 'project');
      this.rt.host.record(unit, project, this.rt.host.snapshot(project), { type: 'standup', by: RUNTIME }, 'standup.written', {
        date: standup.date,
        name,
        summary,
        since: standup.since,
        counts: {
          completed: standup.completed.length,
          in_progress: standup.in_progress.length,
          blocked: standup.blocked.length,
          needs_review: standup.needs_review.length,
          decisions: standup.decisions.length,
        },
      });
      return unit;
    });
    this.opts.logger?.info({ project: projectId, name, summary }, 'standup written');
    return { standup, name, seq: seq.committed[0]?.seq ?? 0 };
  }

  private periodEvents(projectId: string, afterSeq: number): CommittedEvent[] {
    const kept: CommittedEvent[] = [];
    let after = afterSeq;
    for (;;) {
      const page = this.rt.repos.events.since(projectId, after, EVENT_PAGE);
      for (const e of page) if (STANDUP_EVENT_TYPES.has(e.type)) kept.push(e);
      if (page.length < EVENT_PAGE) return kept;
      after = page[page.length - 1]!.seq;
    }
  }
}

/** Starts the daily standups of a runtime; the answer stops them (for the server's closers). */
export function startStandups(rt: Runtime, opts: StandupSchedulerOptions): () => Promise<void> {
  const scheduler = new StandupScheduler(rt, opts);
  scheduler.start();
  return () => scheduler.stop();
}

