import { MissionError, instanceId, type CommandParams } from '../../core/index.js';
import { defaultMentions } from '../files.js';
import { actingInstanceId, liveInstance, requireProject, signOfLife, type Handler } from './shared.js';

/** mission.message.send: a message row plus a notification for each recipient and mention. */
export const sendMessage: Handler<CommandParams<'message.send'>> = (rt, unit, p, by) => {
  const sender = actingInstanceId(by, p);
  const projectId = p.project_id ?? (sender ? sender.slice(sender.indexOf(':') + 1) : undefined);
  if (!projectId) throw new MissionError('INVALID_INPUT', 'project_id is required', { param: 'project_id' });
  const project = requireProject(rt, projectId);
  const recipients = new Set<string>();
  if (p.to === '@all') {
    for (const row of rt.repos.agents.inProject(projectId)) if (row.state !== 'destroyed') recipients.add(row.id);
  } else {
    if (!liveInstance(rt, p.to, projectId)) throw new MissionError('NOT_FOUND', `${p.to} has no live instance in ${projectId}`, { to: p.to });
    recipients.add(instanceId(p.to, projectId));
  }
  const mentions = (rt.files.parseMentions ?? defaultMentions)(p.text);
  for (const soul of mentions) if (liveInstance(rt, soul, projectId)) recipients.add(instanceId(soul, projectId));
  if (sender) recipients.delete(sender);
  const author = by.kind === 'human' ? { kind: 'user' as const, id: by.username } : by.kind === 'agent' ? { kind: 'agent' as const, id: by.instanceId } : { kind: 'system' as const, id: 'runtime' };
  const result: { message_id: number; recipients: string[] } = { message_id: 0, recipients: [...recipients] };
  rt.host.record(unit, project, rt.host.snapshot(project), { type: 'message', by }, 'message.sent', {
    to: p.to,
    text: p.text,
    author: author.id,
    mentions,
    task_id: p.task_id ?? null,
  });
  unit.after.push((repos) => {
    const messageId = repos.messages.insert({ projectId, taskId: p.task_id ?? null, authorKind: author.kind, authorId: author.id, to: p.to, text: p.text, mentions, at: unit.now });
    result.message_id = messageId;
    for (const r of recipients) {
      const kind = mentions.some((m) => r.startsWith(`${m}:`)) ? 'mention' : 'message';
      repos.messages.notify({ projectId, recipient: r, kind, messageId, taskId: p.task_id ?? null, body: `${author.id}: ${p.text}`, at: unit.now });
    }
  });
  signOfLife(rt, unit, by);
  return result;
};
