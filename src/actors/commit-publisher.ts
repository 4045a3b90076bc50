import { parseInstanceId, type AgentView, type TaskView } from '../core/index.js';
import type { NotificationRow } from '../store/index.js';
import type { ActorSnapshotMessage, InboxMessage } from './bus/payloads.js';
import { publishCommittedEvents } from './bus/publish-events.js';
import { inbox, snapshot } from './bus/subjects.js';
import type { Bus } from './bus/types.js';
import type { ResidentActor } from './host.js';
import type { Runtime } from './runtime.js';
import type { CommitUnit } from './unit.js';

/**
 * What the runtime tells the bus after each commit (DESIGN "Data flow" step 6): the committed
 * events on `mc.<p>.evt`, the snapshot of each task and agent the commit wrote on
 * `mc.<p>.snap.<kind>.<id>`, and each notification it stored on the recipient's
 * `mc.<p>.inbox.<soul>`. At-most-once like NATS core: the event log and the notifications table
 * stay the truth. Nothing is built for a subject nobody listens to (the in-process bus can tell),
 * so the embedded default pays a subject lookup per actor and no serialisation.
 */
export class CommitPublisher {
  /** The newest notification already published; the commit's new rows come after it. */
  private lastNotificationId: number;
  private failing = false;

  constructor(
    private readonly rt: Runtime,
    private readonly bus: Bus,
  ) {
    this.lastNotificationId = rt.repos.messages.lastNotificationId();
    rt.committer.onUnitsCommitted((units) => {
      this.publishSnapshots(units);
      this.publishNotifications(units);
    });
    rt.committer.onCommitted((events) => publishCommittedEvents(bus, events, this.report));
  }

  /** The project actor's `assignment_needed`: a live nudge to each lead of the project. */
  assignmentNeeded(projectId: string, taskIds: readonly string[]): void {
    for (const lead of this.rt.repos.agents.inProject(projectId)) {
      if (lead.state === 'destroyed' || this.rt.agentExtras(lead.id).role !== 'lead') continue;
      this.publishInbox(projectId, lead.soul_id, () => ({
        project_id: projectId,
        instance_id: lead.id,
        notification_id: null,
        kind: 'assignment_needed',
        body: `${taskIds.length} unassigned backlog task${taskIds.length === 1 ? '' : 's'} to assign: ${taskIds.join(', ')}`,
        task_id: null,
        message_id: null,
        created_at: this.rt.clock.now(),
        task_ids: [...taskIds],
      }));
    }
  }

  private publishSnapshots(units: readonly CommitUnit[]): void {
    const lastSeq = new Map<string, number>();
    const touched = new Map<string, ResidentActor>();
    for (const unit of units) {
      for (const e of unit.committed) lastSeq.set(e.project_id, e.seq);
      for (const [id, entry] of unit.touched) touched.set(id, entry);
    }
    for (const entry of touched.values()) {
      const kind = entry.spec.kind;
      // Project actors have no snapshot subject: their state reaches the feed as events.
      if (kind === 'project') continue;
      const subject = this.guard(() => snapshot(entry.projectId, kind, kind === 'agent' ? parseInstanceId(entry.id).soulId : entry.id));
      if (subject === null || !this.bus.hasSubscribers(subject)) continue;
      const seq = lastSeq.get(entry.projectId);
      this.publish(subject, () => {
        // Passive actors were stopped by the commit; their last snapshot is still the committed one.
        const message: ActorSnapshotMessage = {
          project_id: entry.projectId,
          actor_kind: kind,
          actor_id: entry.id,
          state_value: this.rt.host.snapshot(entry).value,
          view: this.rt.host.view(entry) as TaskView | AgentView,
          updated_at: entry.meta.updated_at,
        };
        return message;
      }, seq === undefined ? undefined : { seq: String(seq) });
    }
  }

  /** Notifications are rows a unit's own writes add; a batch without such writes added none. */
  private publishNotifications(units: readonly CommitUnit[]): void {
    if (!units.some((u) => u.hasRowWrites)) return;
    for (const row of this.rt.repos.messages.notificationsAfter(this.lastNotificationId)) {
      this.lastNotificationId = row.id;
      this.publishInbox(row.project_id, parseInstanceId(row.recipient).soulId, () => inboxMessage(row));
    }
  }

  private publishInbox(projectId: string, soulId: string, build: () => InboxMessage): void {
    const subject = this.guard(() => inbox(projectId, soulId));
    if (subject !== null && this.bus.hasSubscribers(subject)) this.publish(subject, build);
  }

  private publish(subject: string, build: () => object, headers?: Record<string, string>): void {
    try {
      this.bus.publish(subject, JSON.stringify(build()), headers);
      this.failing = false;
    } catch (err) {
      this.report(err, subject);
    }
  }

  /** A subject that cannot be formed (an id no API would accept) is reported, not thrown at the commit. */
  private guard(subject: () => string): string | null {
    try {
      return subject();
    } catch (err) {
      this.report(err, '(subject)');
      return null;
    }
  }

  /** Said once per outage: while NATS is away every actor of every commit would fail alike. */
  private readonly report = (err: unknown, subject: string): void => {
    if (this.failing) return;
    this.failing = true;
    this.rt.log.warn({ err: String(err), subject }, 'bus publish after commit failed (further failures are not logged until one succeeds)');
  };
}

function inboxMessage(row: NotificationRow): InboxMessage {
  return {
    project_id: row.project_id,
    instance_id: row.recipient,
    notification_id: row.id,
    kind: row.kind,
    body: row.body,
    task_id: row.task_id,
    message_id: row.message_id,
    created_at: row.created_at,
  };
}
