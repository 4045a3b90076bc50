import type { CatchUpPlan, ChronicleRecord, CommittedEvent, LearnedRecord } from '../core/index.js';
import type { DocumentedEventType } from '../store/index.js';
import type { Runtime } from './runtime.js';

/**
 * CHRONICLE.md and learned.md follow the event log (SPEC §7: the DB is the source of truth, the
 * server the single writer of its documents). Each document carries the seq of the newest event
 * it holds (src/workspace/seq-mark.ts), and every write appends all the events after it: an
 * entry whose after-commit write was lost (a crash between the commit and the write, a failed
 * write) is written by the next write of that document, or at the next start.
 */

function text(detail: Record<string, unknown> | undefined, key: string): string {
  const value = detail?.[key];
  return typeof value === 'string' ? value : '';
}

function chronicleRecord(e: CommittedEvent): ChronicleRecord {
  const debt = e.payload.detail?.technical_debt;
  return {
    seq: e.seq,
    at: e.ts,
    author: text(e.payload.detail, 'instance_id'),
    summary: text(e.payload.detail, 'summary'),
    ...(typeof debt === 'string' ? { technical_debt: debt } : {}),
  };
}

function learnedRecord(e: CommittedEvent): LearnedRecord {
  return { seq: e.seq, at: e.ts, summary: text(e.payload.detail, 'summary') };
}

/** Reads, while the document is locked, the actor's events of `type` that the document lacks. */
function planFor<E>(rt: Runtime, projectId: string, actorId: string, type: DocumentedEventType, toRecord: (e: CommittedEvent) => E): CatchUpPlan<E> {
  return (progress) => {
    if (progress.through !== null) {
      const events = rt.repos.events.documented(projectId, actorId, type, progress.through);
      return { through: events.at(-1)?.seq ?? progress.through, records: events.map(toRecord) };
    }
    // Written before seq marks (or never): it holds the events up to the one its last entry renders.
    const all = rt.repos.events.documented(projectId, actorId, type);
    let through = 0;
    if (progress.hasEntries) {
      const last = all.findLastIndex((e) => progress.endsWith(toRecord(e)));
      // Entries that match no event: take the document as complete rather than write its history twice.
      through = last >= 0 ? all[last]!.seq : (all.at(-1)?.seq ?? 0);
    }
    const missing = all.filter((e) => e.seq > through);
    return { through: missing.at(-1)?.seq ?? through, records: missing.map(toRecord) };
  };
}

/** The project's `chronicle.updated` events (recorded on the project actor) CHRONICLE.md lacks. */
export function chroniclePlan(rt: Runtime, projectId: string): CatchUpPlan<ChronicleRecord> {
  return planFor(rt, projectId, projectId, 'chronicle.updated', chronicleRecord);
}

/** The instance's `memory.distilled` events its learned.md lacks. */
export function learnedPlan(rt: Runtime, projectId: string, instanceId: string): CatchUpPlan<LearnedRecord> {
  return planFor(rt, projectId, instanceId, 'memory.distilled', learnedRecord);
}

/**
 * At start, after restore: every live project's CHRONICLE.md and every live instance's
 * learned.md catch up with the log, as effects queued per project ahead of any command's. Only
 * documents with events are read (one indexed lookup each, migration 0003); a document that is
 * complete is not rewritten. working.md is left as it is: an unfinished distill's notes stay
 * there, and the next distill archives them.
 */
export function reconcileDocuments(rt: Runtime): void {
  const { events } = rt.repos;
  for (const project of rt.repos.projects.list()) {
    if (events.lastDocumented(project.id, project.id, 'chronicle.updated') === null) continue;
    rt.effects.run([project.id], [() => rt.files.syncChronicle(project.id, chroniclePlan(rt, project.id))]);
  }
  for (const agent of rt.repos.agents.live()) {
    if (events.lastDocumented(agent.project_id, agent.id, 'memory.distilled') === null) continue;
    rt.effects.run([agent.project_id], [() => rt.files.syncLearned(agent.project_id, agent.soul_id, learnedPlan(rt, agent.project_id, agent.id))]);
  }
}
