import { z } from 'zod';
import { commandMethod } from '../registry/command.js';
import type { MethodDef } from '../registry/method.js';
import { agentView, ok, taskView } from '../registry/schemas.js';
import { projectOfOptionalTask } from './scopes.js';

const own = (): undefined => undefined;

/** mission.control.*: the agents' mission tools (SPEC §5; PRD names kept as aliases and tool names). */
export const controlMethods: MethodDef[] = [
  commandMethod('control.log_event', {
    description: 'Log a thought and the action it leads to, on a task (default: your current task). Call before taking any tool action.',
    roles: ['agent'],
    aliases: ['mission.control.log'],
    tool: 'log_event',
    result: z.object({ ok: z.literal(true), task_id: z.string(), instance_id: z.string() }),
    project: projectOfOptionalTask,
  }),
  commandMethod('control.request_help', {
    description: 'Ask a human for help: the task is blocked with your issue until answered.',
    roles: ['agent'],
    aliases: ['mission.control.block'],
    tool: 'request_help',
    result: z.object({ ok: z.literal(true), task: taskView, agent: agentView }),
    project: projectOfOptionalTask,
  }),
  commandMethod('control.distill_memory', {
    description: 'Distill what matters from working.md into learned.md (archives working notes by default).',
    roles: ['agent'],
    aliases: ['mission.control.distill'],
    tool: 'distill_memory',
    result: ok,
    project: own,
  }),
  commandMethod('control.update_chronicle', {
    description: "Append a summary (and technical debt) to the project's CHRONICLE.md.",
    roles: ['agent'],
    tool: 'update_chronicle',
    result: ok,
    project: own,
  }),
];
