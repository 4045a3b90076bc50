import { z } from 'zod';
import {
  COMMAND_PARAMS,
  MissionError,
  isMissionError,
  type CommandEnvelope,
  type CommandName,
  type MissionRuntime,
} from '../../core/index.js';
import { commandSubject, type CommandReply } from './command-route.js';
import { publishCommittedEvents } from './publish-events.js';
import { ALL_COMMANDS } from './subjects.js';
import type { Bus, BusMessage } from './types.js';

/**
 * The runtime process's side of the bus: serves every command subject in one queue group (so a
 * second runtime process would share, not duplicate, the work), answers each request after the
 * runtime has committed it, and publishes each committed batch on `mc.<project>.evt` (JSON
 * CommittedEvent[], header `seq` = the batch's last seq). Publishing is at-most-once: a batch lost
 * during a NATS outage stays in the event log, and subscribers find it through the seq gap.
 *
 * The envelope's `by` is trusted as the gateway resolved it: only gateway credentials may publish
 * on `mc.*.cmd.>` (NATS permissions). The subject's project is checked against the params, so a
 * credential confined to project A cannot act on project B through A's subjects.
 */
export interface ServeRuntimeOptions {
  /** Queue group of the runtime processes (default 'mc-runtime'). */
  queue?: string;
  /**
   * Publish committed batches on `mc.<project>.evt` (default true). Turn off when the runtime
   * was created with this bus and already publishes them, so each batch goes out once.
   */
  publishEvents?: boolean;
  /** Reports what cannot be answered or published (the caller logs it). */
  onError?: (err: unknown, context: { subject: string; phase: 'reply' | 'publish' | 'execute' }) => void;
}

export interface RuntimeService {
  stop(): void;
}

const BY = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('human'), userId: z.number().int(), username: z.string(), role: z.enum(['admin', 'owner', 'member', 'viewer']) }),
  z.object({ kind: z.literal('agent'), instanceId: z.string(), soulId: z.string(), isLead: z.boolean() }),
  z.object({ kind: z.literal('runtime') }),
]);

const ENVELOPE = z.object({
  name: z.string().refine((n) => Object.hasOwn(COMMAND_PARAMS, n), 'unknown command'),
  params: z.unknown(),
  by: BY,
  idempotency_key: z.string().min(1).max(200).optional(),
  principal_key: z.string().min(1).max(200),
  request_id: z.string().max(200).optional(),
});

export function serveRuntimeOverBus(runtime: MissionRuntime, bus: Bus, opts: ServeRuntimeOptions = {}): RuntimeService {
  const report = opts.onError ?? (() => undefined);
  const subscription = bus.subscribe(ALL_COMMANDS, (msg) => void serve(msg), { queue: opts.queue ?? 'mc-runtime' });

  async function serve(msg: BusMessage): Promise<void> {
    if (!msg.respond) return report(new MissionError('INVALID_INPUT', 'A command must be a request'), { subject: msg.subject, phase: 'execute' });
    let reply: CommandReply;
    try {
      const envelope = decodeEnvelope(msg);
      reply = { ok: true, result: await runtime.execute(envelope) };
    } catch (err) {
      if (!isMissionError(err)) report(err, { subject: msg.subject, phase: 'execute' });
      reply = { ok: false, error: errorJSON(err) };
    }
    answer(msg, reply);
  }

  function answer(msg: BusMessage, reply: CommandReply): void {
    try {
      msg.respond!(JSON.stringify(reply));
    } catch (err) {
      report(err, { subject: msg.subject, phase: 'reply' });
      // A result too large for the bus is still an answer: say so instead of letting it time out.
      if (isMissionError(err) && err.code === 'LIMIT_EXCEEDED' && reply.ok) {
        try {
          msg.respond!(JSON.stringify({ ok: false, error: errorJSON(err) } satisfies CommandReply));
        } catch (again) {
          report(again, { subject: msg.subject, phase: 'reply' });
        }
      }
    }
  }

  const stopListening =
    opts.publishEvents === false
      ? () => undefined
      : runtime.onCommitted((committed) => publishCommittedEvents(bus, committed, (err, subject) => report(err, { subject, phase: 'publish' })));

  return {
    stop() {
      subscription.unsubscribe();
      stopListening();
    },
  };
}

function decodeEnvelope(msg: BusMessage): CommandEnvelope {
  const parsed = ENVELOPE.safeParse(msg.json<unknown>());
  if (!parsed.success) {
    throw new MissionError('INVALID_INPUT', 'The command envelope is not valid', { issues: issuesOf(parsed.error) });
  }
  const name = parsed.data.name as CommandName;
  const params = COMMAND_PARAMS[name].safeParse(parsed.data.params);
  if (!params.success) {
    throw new MissionError('INVALID_INPUT', `Invalid params for ${name}`, { issues: issuesOf(params.error) });
  }
  const envelope = { ...parsed.data, name, params: params.data } as CommandEnvelope;
  const expected = commandSubject(envelope);
  if (expected !== msg.subject) {
    throw new MissionError('FORBIDDEN', `${name} for ${expected} arrived on ${msg.subject}`, { subject: msg.subject, expected });
  }
  return envelope;
}

function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

function errorJSON(err: unknown): { code: string; severity: string; message: string; data: Record<string, unknown> } {
  if (isMissionError(err)) return err.toJSON();
  // Unexpected failures keep their detail in the runtime's log, not on the wire.
  return new MissionError('INTERNAL').toJSON();
}
