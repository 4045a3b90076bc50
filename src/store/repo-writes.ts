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

/** One recorded write: structured-clonable, so it can cross to the writer thread. */
export interface WriteCall {
  repo: WriteRepo;
  method: string;
  args: unknown[];
}

/** A `RepoWrites` whose calls are appended to `calls` instead of being run. */
export function recordWrites(calls: WriteCall[]): RepoWrites {
  const writes: Record<string, Record<string, (...args: unknown[]) => void>> = {};
  for (const [repo, methods] of Object.entries(WRITE_METHODS)) {
    const target: Record<string, (...args: unknown[]) => void> = {};
    for (const method of methods) target[method] = (...args: unknown[]) => void calls.push({ repo: repo as WriteRepo, method, args });
    writes[repo] = target;
  }
  return writes as unknown as RepoWrites;
}

/** Runs recorded calls against real repositories (the caller holds the transaction). */
export function applyWrites(repos: Repositories, calls: readonly WriteCall[]): void {
  for (const { repo, method, args } of calls) {
    const allowed: readonly string[] | undefined = WRITE_METHODS[repo];
    if (!allowed?.includes(method)) throw new Error(`not a recorded write: ${repo}.${method}`);
    const target = repos[repo] as unknown as Record<string, (...a: unknown[]) => unknown>;
    target[method]!.apply(target, args);
  }
}
