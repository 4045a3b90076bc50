import { z } from 'zod';
import { isMissionError, MissionError, missionErrorFromJSON } from '../../core/index.js';
import type { WorkspaceActor, WorkspacePort } from '../deps.js';
import { idempotencyKeyParam } from '../registry/command.js';
import { defineMethod, type CallContext, type MethodDef } from '../registry/method.js';
import { folderEntry } from '../registry/schemas.js';

const INSTANCE_ID = /^[a-z0-9][a-z0-9-]{0,39}:[a-z0-9][a-z0-9-]{0,39}$/;
// The workspace applies the real jail (SPEC §7); this only bounds the input's size.
const path = z.string().min(1).max(4096);
const acting = { instance_id: z.string().regex(INSTANCE_ID).optional() };
const own = (): undefined => undefined;

function scope(ctx: CallContext): { workspace: WorkspacePort; projectId: string; as: WorkspaceActor } {
  const workspace = ctx.services.workspace;
  if (!workspace) throw new MissionError('INTERNAL', 'this gateway has no workspace configured');
  if (!ctx.agent || !ctx.projectId) throw new MissionError('INVALID_INPUT', "mission.fs.* acts in an agent's project scope; call it as an agent");
  return { workspace, projectId: ctx.projectId, as: { kind: 'agent', soulId: ctx.agent.soulId } };
}

/** Runs a file side effect once per idempotency key: a repeat returns (or re-throws) the first answer. */
async function once<T>(ctx: CallContext, command: string, run: () => Promise<T>): Promise<T> {
  const key = ctx.idempotencyKey;
  if (key === undefined) return run();
  const repo = ctx.services.idempotency;
  const first = repo.get(ctx.principalKey, key);
  if (first) {
    if (first.answer.ok) return first.answer.result as T;
    throw missionErrorFromJSON(first.answer.error);
  }
  try {
    const result = await run();
    repo.put(ctx.principalKey, key, command, { ok: true, result }, Date.now());
    return result;
  } catch (err) {
    if (isMissionError(err)) repo.put(ctx.principalKey, key, command, { ok: false, error: { code: err.code, message: err.message, data: err.data } }, Date.now());
    throw err;
  }
}

/** mission.fs.*: an agent's files, jailed to its project scope by the workspace (SPEC §7). */
export const fsMethods: MethodDef[] = [
  defineMethod({
    name: 'mission.fs.read',
    aliases: [],
    description: 'Read a file in your project scope; returns its content and version.',
    params: z.object({ path, ...acting }),
    result: z.object({ content: z.string(), version: z.string() }),
    roles: ['agent'],
    sideEffect: false,
    tool: 'fs_read',
    project: own,
    handler: async (p, ctx) => {
      const s = scope(ctx);
      const r = await s.workspace.fsRead(s.projectId, p.path, { as: s.as });
      return { content: r.content, version: r.version };
    },
  }),
  defineMethod({
    name: 'mission.fs.write',
    aliases: [],
    description: 'Write a file in your project scope; expected_version refuses a write over a changed file (CONFLICT).',
    params: z.object({ path, content: z.string().max(16 * 1024 * 1024), expected_version: z.string().max(128).optional(), idempotency_key: idempotencyKeyParam, ...acting }),
    result: z.object({ version: z.string() }),
    roles: ['agent'],
    sideEffect: true,
    tool: 'fs_write',
    project: own,
    handler: async (p, ctx) => {
      const s = scope(ctx);
      return once(ctx, 'fs.write', async () => {
        const r = await s.workspace.fsWrite(s.projectId, p.path, {
          as: s.as,
          content: p.content,
          ...(p.expected_version !== undefined ? { expected_version: p.expected_version } : {}),
        });
        return { version: r.version };
      });
    },
  }),
  defineMethod({
    name: 'mission.fs.list',
    aliases: [],
    description: 'List a folder in your project scope.',
    params: z.object({ path: path.default('.'), ...acting }),
    result: z.object({ path: z.string(), entries: z.array(folderEntry) }),
    roles: ['agent'],
    sideEffect: false,
    tool: 'fs_list',
    project: own,
    handler: async (p, ctx) => {
      const s = scope(ctx);
      return s.workspace.fsList(s.projectId, p.path, { as: s.as });
    },
  }),
  defineMethod({
    name: 'mission.fs.delete',
    aliases: [],
    description: 'Delete a file in your project scope.',
    params: z.object({ path, expected_version: z.string().max(128).optional(), idempotency_key: idempotencyKeyParam, ...acting }),
    result: z.object({ path: z.string(), deleted: z.enum(['file', 'dir']) }),
    roles: ['agent'],
    sideEffect: true,
    tool: 'fs_delete',
    project: own,
    handler: async (p, ctx) => {
      const s = scope(ctx);
      return once(ctx, 'fs.delete', () =>
        s.workspace.fsDelete(s.projectId, p.path, { as: s.as, ...(p.expected_version !== undefined ? { expected_version: p.expected_version } : {}) }),
      );
    },
  }),
];
