import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type ProjectFiles, type Runtime, type RuntimeOptions } from '../../src/actors/index.js';
import { isMissionError, type By, type CommandEnvelope, type CommandName, type CommandParams } from '../../src/core/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { Workspace, createProjectFiles } from '../../src/workspace/index.js';

export const ADMIN: By = { kind: 'human', userId: 1, username: 'ada', role: 'admin' };

/** The error code a command fails with, or 'OK' when it succeeds. */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isMissionError(err)) return err.code;
    throw err;
  }
  return 'OK';
}

export function agentBy(soulId: string, projectId: string, isLead = false): By {
  return { kind: 'agent', instanceId: `${soulId}:${projectId}`, soulId, isLead };
}

export interface RuntimeFixture {
  dir: string;
  store: Store;
  rt: Runtime;
  exec<N extends CommandName>(name: N, params: CommandParams<N>, by?: By, key?: string): Promise<unknown>;
  /** Stops the runtime and closes the store, keeping the data dir (for restarts). */
  close(): Promise<void>;
  /** Stops, closes and removes the data dir. */
  dispose(): Promise<void>;
}

/** A real runtime on a real SQLite file in a temp data dir, with the real workspace file effects. */
export async function openRuntime(
  opts: Omit<RuntimeOptions, 'db' | 'files'> & { files?: ProjectFiles } = {},
  dir = mkdtempSync(join(tmpdir(), 'mc-rt-')),
): Promise<RuntimeFixture> {
  const store = await openStore({ dataDir: dir });
  const files = opts.files ?? createProjectFiles(new Workspace({ dataDir: dir, ...(opts.clock ? { clock: opts.clock } : {}) }));
  const rt = createRuntime({ ...opts, files, db: store.db });
  rt.start();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await rt.stop();
    store.close();
  };
  return {
    dir,
    store,
    rt,
    exec: (name, params, by = ADMIN, key) => {
      const envelope: CommandEnvelope = { name, params, by, principal_key: by.kind === 'human' ? `user:${by.userId}` : by.kind === 'agent' ? `agent:${by.instanceId}` : 'runtime' };
      if (key) envelope.idempotency_key = key;
      return rt.execute(envelope);
    },
    close,
    dispose: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every row of the tables a command may change, for before/after comparisons. */
export function dumpRows(store: Store): Record<string, unknown[]> {
  const tables = ['projects', 'souls', 'soul_versions', 'agent_instances', 'tasks', 'task_events', 'messages', 'notifications', 'events', 'idempotency_keys', 'actor_snapshots', 'pulses'];
  const out: Record<string, unknown[]> = {};
  for (const t of tables) out[t] = store.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all();
  return out;
}
