import type { Repositories } from './repositories.js';

/**
 * The repository methods a group commit writes through. A commit is built as a list of calls to
 * these (`recordWrites`) and replayed in one transaction, on the runtime's own connection or on
 * the writer thread's (`applyWrites`). Only methods whose answer the caller does not need are
 * here: a write that must read in the transaction, or return a row id, runs inline.
 */
export const WRITE_METHODS = {
  projects: ['insert', 'setLastSeq', 'setTaskCounter', 'setArchived', 'setDeleted', 'setSettings'],
  souls: ['create', 'update'],
  tasks: ['upsertRecord'],
  agents: ['upsert', 'revokeTokens'],
  events: ['appendMany'],
  snapshots: ['upsertMany', 'rewriteMany'],
  idempotency: ['put'],
  taskEvents: ['insert'],
  pulses: ['start', 'finish'],
  messages: ['notify', 'markDelivered'],
  subscriptions: ['subscribe'],
} as const satisfies { [R in keyof Repositories]?: readonly (keyof Repositories[R])[] };

type WriteRepo = keyof typeof WRITE_METHODS;
type Method<R extends WriteRepo> = (typeof WRITE_METHODS)[R][number];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any parameter list: only the parameters are read
type ParamsOf<F> = F extends (...args: infer A) => any ? A : never;

/** The write side of the repositories; every answer is `void`, so no caller can depend on one. */
export type RepoWrites = {
  [R in WriteRepo]: { [M in Method<R>]: M extends keyof Repositories[R] ? (...args: ParamsOf<Repositories[R][M]>) => void : never };
};

/**
 * Recorded writes: structured-clonable, so they can cross to the writer thread. Consecutive
 * calls of one method are one entry with the argument list of each call (a commit's task rows
 * are hundreds of `upsertRecord`s in a row): the thread then receives one object per run of
 * calls, where it would deserialise one per call, keys and all.
 */
export interface WriteCall {
  repo: WriteRepo;
  method: string;
  calls: unknown[][];
}

/** A `RepoWrites` whose calls are appended to `calls` instead of being run. */
export function recordWrites(calls: WriteCall[]): RepoWrites {
  const writes: Record<string, Record<string, (...args: unknown[]) => void>> = {};
  for (const [repo, methods] of Object.entries(WRITE_METHODS)) {
    const target: Record<string, (...args: unknown[]) => void> = {};
    for (const method of methods) {
      target[method] = (...args: unknown[]) => {
        const last = calls[calls.length - 1];
        if (last && last.repo === repo && last.method === method) last.calls.push(args);
        else calls.push({ repo: repo as WriteRepo, method, calls: [args] });
      };
    }
    writes[repo] = target;
  }
  return writes as unknown as RepoWrites;
}

/** Runs recorded calls against real repositories, in order (the caller holds the transaction). */
export function applyWrites(repos: Repositories, recorded: readonly WriteCall[]): void {
  for (const { repo, method, calls } of recorded) {
    const allowed: readonly string[] | undefined = WRITE_METHODS[repo];
    if (!allowed?.includes(method)) throw new Error(`not a recorded write: ${repo}.${method}`);
    const target = repos[repo] as unknown as Record<string, (...a: unknown[]) => unknown>;
    const fn = target[method]!;
    for (const args of calls) fn.apply(target, args);
  }
}
