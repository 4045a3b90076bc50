/**
 * The glibc malloc settings Mission Control is launched with (`npm start`,
 * `ops/mission-control.service`, the bench and test launchers in `bench/lib/server-process.ts`).
 *
 * glibc adapts its thresholds at run time: each time a block above the mmap threshold is freed
 * (a large response or file buffer), the threshold rises to that block's size, up to 32 MiB, and
 * the trim threshold to twice that. From then on large blocks come from the heap, and the heap is
 * given back only once that much is free at its top, so freed memory stays resident: in the
 * 30-minute soak, 8 MB more of it after 25 minutes (docs/operations-figures.md, 2026-12-04).
 * Setting either threshold turns the adaptation off; these are glibc's starting values, fixed.
 *
 * glibc reads them when the process starts, so they cannot be set from inside Node (and Node 20
 * cannot re-exec itself in place): whoever launches the server sets them. Other allocators
 * (musl, jemalloc, macOS) ignore them.
 */
export const MALLOC_TUNING: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/** Whether this process runs on glibc (Node's diagnostic report names the runtime glibc version). */
export function onGlibc(): boolean {
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  return typeof header?.glibcVersionRuntime === 'string';
}

/**
 * The settings of MALLOC_TUNING this environment does not set, on glibc; none elsewhere. The
 * glibc probe (a diagnostic report, ~8 ms) runs only when something is missing.
 */
export function missingMallocTuning(env: NodeJS.ProcessEnv, glibc: boolean | (() => boolean) = onGlibc): string[] {
  const missing = Object.keys(MALLOC_TUNING).filter((name) => env[name] === undefined || env[name] === '');
  if (missing.length === 0) return missing;
  return (typeof glibc === 'function' ? glibc() : glibc) ? missing : [];
}
