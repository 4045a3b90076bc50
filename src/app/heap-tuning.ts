/**
 * The V8 flags Mission Control is launched with (`npm start`, `ops/mission-control.service`,
 * `npm run bench:runtime` and the bench launchers): a 64 MiB young-generation semi-space, where
 * Node's 64-bit default is 16 MiB.
 *
 * Every event an actor takes allocates a new XState snapshot, and a command's objects live until
 * its group commit is acknowledged: under load, longer than the scavenger's interval at 16 MiB
 * (about 25 ms at 20k events/s). Each scavenge then copies and promotes the objects of every
 * command in flight; GC was 25–28 % of the actors' thread in the runtime benchmark. With 64 MiB
 * the scavenger runs a quarter as often for the same copying: durable throughput rose from about
 * 23k to 35k events/s, at 73 MB more RSS with 110k actors resident (docs/operations-figures.md,
 * 2026-12-05). Node documents the flag as the throughput-for-memory trade it is.
 *
 * V8 sizes the young generation when the isolate starts, so the flag cannot be set from inside
 * Node: whoever launches the server passes it (on node's command line or in NODE_OPTIONS).
 */
export const V8_HEAP_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** A V8 flag's name as V8 reads it (`--max_semi_space_size` and `--max-semi-space-size` are one flag). */
function flagName(arg: string): string {
  return arg.split('=')[0]!.replace(/_/g, '-');
}

/** The V8_HEAP_FLAGS settings this process was started with, as given (command line or NODE_OPTIONS). */
export function heapFlagsInEffect(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string[] {
  const names = new Set(V8_HEAP_FLAGS.map(flagName));
  return [...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.startsWith('--') && names.has(flagName(a)));
}

/**
 * The flags of V8_HEAP_FLAGS this process was started without (a flag given with another value
 * is the operator's choice, not missing).
 */
export function missingHeapFlags(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = new Set(heapFlagsInEffect(execArgv, nodeOptions).map(flagName));
  return V8_HEAP_FLAGS.filter((flag) => !given.has(flagName(flag)));
}
