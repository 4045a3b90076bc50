import { MissionError, instanceId, parseInstanceId, type CommandParams } from '../../core/index.js';
import { messageRecipients, parseMentions } from '../../workspace/index.js';
import { actingInstanceId, liveSouls, requireProject, signOfLife, type Handler } from './shared.js';

/**
 * mission.message.send: a message row plus a notification for each recipient (the addressee or
 * `@all`, and everyone mentioned), delivered on their next pulse. The workspace's mention rules
 * decide who hears; a message about a task subscribes the mentioned to its thread.
 */
export const sendMessage: Handler<CommandParams<'message.send'>> = (rt, unit, p, by) => {
  const sender = actingInstanceId(by, p);
  const projectId = p.project_id ?? (sender ? parseInstanceId(sender).projectId : undefined);
  if (!projectId) throw new MissionError('INVALID_INPUT', 'project_id is required', { param: 'project_id' });
  const project = requireProject(rt, projectId);
  if (p.task_id !== undefined && rt.repos.tasks.get(p.task_id)?.project_id !== projectId) {
    throw new MissionError('NOT_FOUND', `task ${p.task_id} does not exist in ${projectId}`, { task_id: p.task_id });
  }
  const souls = liveSouls(rt, projectId);
  const authorSoul = sender ? parseInstanceId(sender).soulId : null;
  const recipients = messageRecipients({ to: p.to, text: p.text, authorSoul, projectSouls: souls });
  const mentions = parseMentions(p.text, souls, { author: authorSoul });
  const author = by.kind === 'human' ? { kind: 'user' as const, id: by.username } : by.kind === 'agent' ? { kind: 'agent' as const, id: by.instanceId } : { kind: 'system' as const, id: 'runtime' };
  const result: { message_id: number; recipients: string[] } = { message_id: 0, recipients: recipients.map((r) => instanceId(r.soul_id, projectId)) };
  rt.host.record(unit, project, rt.host.snapshot(project), { type: 'message', by }, 'message.sent', {
    to: p.to,
    text: p.text,
    author: author.id,
    mentions,
    task_id: p.task_id ?? null,
  });
  unit.inTransaction.push((repos) => {
    const messageId = repos.messages.insert({ projectId, taskId: p.task_id ?? null, authorKind: author.kind, authorId: author.id, to: p.to, text: p.text, mentions, at: unit.now });
    result.message_id = messageId;
    for (const r of recipients) {
      repos.messages.notify({ projectId, recipient: instanceId(r.soul_id, projectId), kind: r.kind, messageId, taskId: p.task_id ?? null, body: `${author.id}: ${p.text}`, at: unit.now });
    }
    if (p.task_id !== undefined) for (const soul of mentions) repos.subscriptions.subscribe(p.task_id, instanceId(soul, projectId), 'mentioned', unit.now);
  });
  signOfLife(rt, unit, by);
  return result;
};
