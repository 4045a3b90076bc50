import { isMissionError, type CommittedEvent } from '../../core/index.js';
import { events as eventsSubject } from './subjects.js';
import type { Bus } from './types.js';

/**
 * Publishes a committed batch on `mc.<project>.evt`, one message per project (JSON
 * CommittedEvent[], header `seq` = that project's last seq in it). A batch over the payload limit
 * is split; one event too large is left to replay from the log (subscribers see the seq gap).
 * Nothing is serialised for a project nobody listens to (the in-process bus can tell).
 */
export function publishCommittedEvents(bus: Bus, committed: readonly CommittedEvent[], report: (err: unknown, subject: string) => void): void {
  for (const [projectId, batch] of byProject(committed)) {
    let subject = `(events of ${projectId})`;
    try {
      subject = eventsSubject(projectId);
      if (bus.hasSubscribers(subject)) publishBatch(bus, subject, batch, report);
    } catch (err) {
      report(err, subject);
    }
  }
}

function publishBatch(bus: Bus, subject: string, batch: CommittedEvent[], report: (err: unknown, subject: string) => void): void {
  try {
    bus.publish(subject, JSON.stringify(batch), { seq: String(batch[batch.length - 1]!.seq) });
  } catch (err) {
    if (isMissionError(err) && err.code === 'LIMIT_EXCEEDED' && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      publishBatch(bus, subject, batch.slice(0, half), report);
      publishBatch(bus, subject, batch.slice(half), report);
      return;
    }
    report(err, subject);
  }
}

/** Groups a commit's events per project, keeping seq order inside each. */
function byProject(events: readonly CommittedEvent[]): Map<string, CommittedEvent[]> {
  const out = new Map<string, CommittedEvent[]>();
  for (const e of events) {
    const batch = out.get(e.project_id);
    if (batch) batch.push(e);
    else out.set(e.project_id, [e]);
  }
  return out;
}
