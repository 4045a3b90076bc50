import {
  MissionError,
  isSlug,
  parseInstanceId,
  parseTaskId,
  slugify,
  type CommandEnvelope,
  type CommandName,
  type CommandParams,
} from '../../core/index.js';
import { cmdAgent, cmdProject, cmdSys, cmdTask } from './subjects.js';

/**
 * Which actor's subject a command travels on (DESIGN "Data flow of one command", step 3). The
 * project in the subject is what NATS permissions scope a credential to, so it is derived from
 * the params the command acts on, the same way on the gateway side (to send) and on the runtime
 * side (to refuse a command that arrived on another project's subject).
 */
type Route<N extends CommandName> = (params: CommandParams<N>, envelope: CommandEnvelope<N>) => string;

const toTask = (taskId: string): string => cmdTask(parseTaskId(taskId).projectId, taskId);
const toInstance = (instanceId: string): string => {
  const { soulId, projectId } = parseInstanceId(instanceId);
  return cmdAgent(projectId, soulId);
};

/** The instance a `driver` names in its params, else the agent that sent the command. */
function actingInstance(params: { instance_id?: string | undefined }, envelope: CommandEnvelope): string {
  const id = params.instance_id ?? (envelope.by.kind === 'agent' ? envelope.by.instanceId : undefined);
  if (id === undefined) {
    throw new MissionError('INVALID_INPUT', `${envelope.name} needs instance_id when not sent by an agent`, { method: envelope.name });
  }
  return id;
}

const ROUTES: { [N in CommandName]: Route<N> } = {
  'soul.create': () => cmdSys('soul'),
  'soul.update': () => cmdSys('soul'),
  'project.init': (p) => {
    const id = p.project_id ?? slugify(p.project_name);
    // A name with no slug-able character is refused by the runtime; it still needs a subject.
    return isSlug(id) ? cmdProject(id) : cmdSys('project');
  },
  'project.archive': (p) => cmdProject(p.project_id),
  'project.delete': (p) => cmdProject(p.project_id),
  'task.create': (p) => cmdProject(p.project_id),
  'task.move': (p) => toTask(p.task_id),
  'task.assign': (p) => toTask(p.task_id),
  'task.update': (p) => toTask(p.task_id),
  'task.comment': (p) => toTask(p.task_id),
  'task.answer_help': (p) => toTask(p.task_id),
  'agent.sync': (p) => toInstance(p.instance_id),
  'agent.create': (p) => cmdAgent(p.project_id, p.soul_id),
  'agent.pause': (p) => toInstance(p.instance_id),
  'agent.resume': (p) => toInstance(p.instance_id),
  'agent.upgrade': (p) => toInstance(p.instance_id),
  'agent.destroy': (p) => toInstance(p.instance_id),
  'agent.pulse_now': (p) => toInstance(p.instance_id),
  'control.log_event': (p, e) => (p.task_id ? toTask(p.task_id) : toInstance(actingInstance(p, e))),
  'control.request_help': (p, e) => (p.task_id ? toTask(p.task_id) : toInstance(actingInstance(p, e))),
  'control.distill_memory': (p, e) => toInstance(actingInstance(p, e)),
  // The project actor is the single writer of CHRONICLE.md.
  'control.update_chronicle': (p, e) => cmdProject(parseInstanceId(actingInstance(p, e)).projectId),
  'message.send': (p, e) => cmdProject(p.project_id ?? parseInstanceId(actingInstance(p, e)).projectId),
  'inspect.send': (p) => {
    if (p.actor_id.includes(':')) return toInstance(p.actor_id);
    if (/-[1-9][0-9]*$/.test(p.actor_id)) return toTask(p.actor_id);
    return cmdProject(p.actor_id);
  },
};

/** The subject a command is requested on; throws INVALID_INPUT for ids that cannot be routed. */
export function commandSubject(envelope: CommandEnvelope): string {
  const route = ROUTES[envelope.name] as Route<CommandName> | undefined;
  if (!route) throw new MissionError('INVALID_INPUT', `Unknown command ${String(envelope.name)}`, { method: envelope.name });
  return route(envelope.params, envelope);
}

/** What the runtime answers on the reply subject. */
export type CommandReply =
  | { ok: true; result: unknown }
  | { ok: false; error: { code: string; severity?: string; message: string; data?: Record<string, unknown> } };
