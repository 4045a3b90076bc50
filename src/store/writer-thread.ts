/**
 * The writer thread (`CommitWriter`): its own connection to the database, on which it replays
 * each group commit's recorded writes in one transaction, in the order they arrive, while the
 * runtime's thread goes on with the actors. It says when its connection is open ('ready'), answers
 * every batch on the port, and after each message bumps the shared signal so a runtime thread
 * waiting synchronously (`CommitWriter.drain`) wakes up.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { openDatabase, type SyncMode } from './db.js';
import { applyWrites } from './repo-writes.js';
import { createRepositories } from './repositories.js';
import type { WriterReply, WriterRequest } from './commit-writer.js';

export interface WriterThreadData {
  file: string;
  synchronous: SyncMode;
  busyTimeoutMs: number;
  cacheMb: number | undefined;
  port: MessagePort;
  signal: SharedArrayBuffer;
}

const data = workerData as WriterThreadData;
const signal = new Int32Array(data.signal);

function reply(message: WriterReply): void {
  data.port.postMessage(message);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function failure(err: unknown): { code: string | null; message: string } {
  const code = (err as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : null, message: err instanceof Error ? err.message : String(err) };
}

try {
  const db = openDatabase(data.file, { synchronous: data.synchronous, busyTimeoutMs: data.busyTimeoutMs, ...(data.cacheMb !== undefined ? { cacheMb: data.cacheMb } : {}) });
  const repos = createRepositories(db);
  /** After a failed batch, the batches sent behind it (same generation) were built on it: refused. */
  let failedGeneration = -1;
  data.port.on('message', (m: WriterRequest) => {
    if (m.type === 'close') {
      db.close();
      data.port.close();
      return;
    }
    if (m.generation === failedGeneration) return reply({ type: 'batch', id: m.id, ok: false, error: { code: 'ABANDONED', message: 'an earlier batch of this commit pipeline failed' } });
    try {
      repos.transaction(() => {
        // Projection rows may point at rows written later in the same batch: checked at commit.
        db.pragma('defer_foreign_keys = ON');
        applyWrites(repos, m.calls);
      });
      reply({ type: 'batch', id: m.id, ok: true });
    } catch (err) {
      failedGeneration = m.generation;
      reply({ type: 'batch', id: m.id, ok: false, error: failure(err) });
    }
  });
  reply({ type: 'ready' });
} catch (err) {
  reply({ type: 'fatal', error: failure(err) });
  data.port.close();
}
