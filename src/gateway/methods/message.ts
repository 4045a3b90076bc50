import { z } from 'zod';
import { MissionError } from '../../core/index.js';
import { commandMethod, executeCommand } from '../registry/command.js';
import { defineMethod, MEMBER_PLUS, type MethodDef } from '../registry/method.js';

const base = commandMethod('message.send', {
  description: "Send a message to an agent (soul id) or to everyone ('@all') in the project.",
  roles: [...MEMBER_PLUS, 'agent'],
  tool: 'send_message',
  // recipients: the instance ids (<soul>:<project>) the message will reach on their next pulse.
  result: z.object({ message_id: z.number().int(), recipients: z.array(z.string()) }),
  project: (p) => p.project_id,
});

/** mission.message.send: agents' `sessions_send`; humans must name the project, agents default to theirs. */
export const messageMethods: MethodDef[] = [
  defineMethod({
    ...base,
    handler: async (p, ctx) => {
      const { idempotency_key: _key, ...params } = p as Record<string, unknown> & { project_id?: string };
      const projectId = params.project_id ?? ctx.projectId;
      if (!projectId) throw new MissionError('INVALID_INPUT', 'project_id is required', { field: 'project_id' });
      return executeCommand('message.send', { ...(params as Record<string, unknown>), project_id: projectId } as never, ctx);
    },
  }),
];
