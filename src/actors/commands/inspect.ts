import { MissionError, type CommandParams } from '../../core/index.js';
import { syncHolder, taskContext, type Handler } from './shared.js';

/** mission.inspect.send: an operator sends a machine event; the machine's guards decide. */
export const inspectSend: Handler<CommandParams<'inspect.send'>> = (rt, unit, p, by) => {
  const entry = rt.host.find(p.actor_id);
  if (!entry) throw new MissionError('NOT_FOUND', `actor ${p.actor_id} does not exist`, { actor_id: p.actor_id });
  const event = { ...p.event, by };
  rt.host.check(entry, event);
  const before = entry.spec.kind === 'task' ? taskContext(rt, entry).assignee_id : null;
  rt.host.apply(unit, entry, event, `${entry.spec.kind}.inspect_sent`);
  if (entry.spec.kind === 'task') syncHolder(rt, unit, entry, before);
  return { actor_id: entry.id, state_value: rt.host.snapshot(entry).value, view: rt.host.view(entry) ?? null };
};
