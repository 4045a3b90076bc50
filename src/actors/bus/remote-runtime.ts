import {
  MissionError,
  missionErrorFromJSON,
  type CommandEnvelope,
  type CommandName,
  type CommittedEvent,
  type MissionRuntime,
} from '../../core/index.js';
import { commandSubject, type CommandReply } from './command-route.js';
import { ALL_EVENTS } from './subjects.js';
import type { Bus, BusMessage, BusSubscription } from './types.js';

/**
 * The runtime as a gateway process sees it when the actors live in another process: each
 * command is a request on its actor's subject, answered once committed; committed events arrive
 * on `mc.*.evt`. NATS core is at-most-once, so a batch may be lost: `onGap` tells the owner,
 * whose clients then replay from the event log by `seq` (DESIGN "Data flow", step 7).
 * A TIMEOUT does not mean the command failed — it may have committed; retry with the same
 * idempotency key.
 */
export interface RemoteRuntimeOptions {
  /** How long a command may take end to end (default 15 s). */
  timeoutMs?: number;
  /** A batch whose first seq is past the last one seen (per project) reveals lost events. */
  onGap?: (gap: { project_id: string; expected_seq: number; received_seq: number }) => void;
  /** A batch that could not be decoded. */
  onInvalidBatch?: (err: MissionError, subject: string) => void;
}

export class RemoteRuntime implements MissionRuntime {
  private readonly bus: Bus;
  private readonly timeoutMs: number;
  private readonly opts: RemoteRuntimeOptions;
  private readonly listeners = new Set<(events: CommittedEvent[]) => void>();
  private readonly lastSeq = new Map<string, number>();
  private subscription: BusSubscription | null = null;

  constructor(bus: Bus, opts: RemoteRuntimeOptions = {}) {
    this.bus = bus;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.opts = opts;
  }

  async execute<N extends CommandName>(command: CommandEnvelope<N>): Promise<unknown> {
    const subject = commandSubject(command);
    const headers = command.request_id ? { request_id: command.request_id } : undefined;
    const reply = await this.bus.request(subject, JSON.stringify(command), {
      timeoutMs: this.timeoutMs,
      ...(headers ? { headers } : {}),
    });
    const body = decodeReply(reply);
    if (body.ok) return body.result;
    throw missionErrorFromJSON(body.error);
  }

  onCommitted(listener: (events: CommittedEvent[]) => void): () => void {
    this.listeners.add(listener);
    this.subscription ??= this.bus.subscribe(ALL_EVENTS, (msg) => this.receive(msg));
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopListening();
    };
  }

  /** The last seq received per project (for /metrics and resync decisions). */
  lastSeenSeq(projectId: string): number | undefined {
    return this.lastSeq.get(projectId);
  }

  close(): void {
    this.listeners.clear();
    this.stopListening();
  }

  private stopListening(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  private receive(msg: BusMessage): void {
    let batch: CommittedEvent[];
    try {
      batch = decodeBatch(msg);
    } catch (err) {
      this.opts.onInvalidBatch?.(err as MissionError, msg.subject);
      return;
    }
    const projectId = batch[0]!.project_id;
    const last = this.lastSeq.get(projectId);
    // Already seen (e.g. a republished batch): drop, so listeners never see a seq twice.
    const fresh = last === undefined ? batch : batch.filter((e) => e.seq > last);
    if (fresh.length === 0) return;
    const first = fresh[0]!.seq;
    if (last !== undefined && first > last + 1) {
      this.opts.onGap?.({ project_id: projectId, expected_seq: last + 1, received_seq: first });
    }
    this.lastSeq.set(projectId, fresh[fresh.length - 1]!.seq);
    for (const listener of this.listeners) listener(fresh);
  }
}

function decodeReply(msg: BusMessage): CommandReply {
  let body: unknown;
  try {
    body = msg.json<unknown>();
  } catch {
    body = null;
  }
  if (typeof body === 'object' && body !== null && 'ok' in body) {
    const b = body as Record<string, unknown>;
    if (b.ok === true) return { ok: true, result: b.result };
    const e = b.error as Record<string, unknown> | undefined;
    if (b.ok === false && e && typeof e.code === 'string' && typeof e.message === 'string') {
      return { ok: false, error: { code: e.code, message: e.message, data: (e.data as Record<string, unknown> | undefined) ?? {} } };
    }
  }
  throw new MissionError('INTERNAL', 'The runtime answered with a malformed reply', { subject: msg.subject });
}

function decodeBatch(msg: BusMessage): CommittedEvent[] {
  const body = msg.json<unknown>();
  const projectId = msg.subject.split('.')[1];
  const valid =
    Array.isArray(body) &&
    body.length > 0 &&
    body.every(
      (e: unknown, i: number) =>
        typeof e === 'object' &&
        e !== null &&
        (e as CommittedEvent).project_id === projectId &&
        Number.isInteger((e as CommittedEvent).seq) &&
        (i === 0 || (e as CommittedEvent).seq > (body[i - 1] as CommittedEvent).seq),
    );
  if (!valid) {
    throw new MissionError('INVALID_INPUT', 'An event batch must be a non-empty array of its project’s events in seq order', { subject: msg.subject });
  }
  return body as CommittedEvent[];
}
