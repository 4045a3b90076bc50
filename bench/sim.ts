/**
 * Deterministic simulation runner (docs/simulation.md):
 *   npm run sim -- --seeds N [--start S] [--steps K] [--fault ack-before-commit] [--keep] [--trace]
 * Runs seeds S..S+N-1; prints each failing seed with its replay command, then a JSON summary
 * as the last line. Exit code 1 when a seed failed.
 */
import { parseArgs } from 'node:util';
import { runSeed, type SimResult } from '../src/sim/index.js';

// Each simulated node builds a gateway; Fastify's deprecation notice would repeat for every one.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if ((w as { code?: string }).code !== 'FSTDEP023') console.warn(w);
});

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    start: { type: 'string', default: '1' },
    steps: { type: 'string', default: '150' },
    fault: { type: 'string' },
    keep: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    'stop-on-failure': { type: 'boolean', default: false },
  },
});

const seeds = Number(values.seeds);
const start = Number(values.start);
const steps = Number(values.steps);
if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(start) || !Number.isInteger(steps) || steps < 1) {
  console.error('usage: npm run sim -- --seeds N [--start S] [--steps K] [--fault ack-before-commit]');
  process.exit(2);
}
if (values.fault !== undefined && values.fault !== 'ack-before-commit') {
  console.error(`unknown fault ${values.fault}; known: ack-before-commit`);
  process.exit(2);
}

const began = Date.now();
const failures: Pick<SimResult, 'seed' | 'failedStep' | 'violations' | 'replay' | 'traceHash'>[] = [];
const totals: Record<string, number> = {};
const byInvariant: Record<string, number> = {};
let current = start;
// A rejection nobody handled (a runtime continuation after a simulated crash, say) would end the
// whole run without naming its seed: name it and its replay, then fail.
process.on('unhandledRejection', (err) => {
  console.log(`seed ${current} FAILED: unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  console.log(`  replay: npm run sim -- --seeds 1 --start ${current} --steps ${steps}${values.fault ? ` --fault ${values.fault}` : ''}`);
  process.exit(1);
});
for (let seed = start; seed < start + seeds; seed++) {
  current = seed;
  const result = await runSeed({ seed, steps, ackBeforeCommit: values.fault === 'ack-before-commit', keepDir: values.keep });
  for (const [k, v] of Object.entries(result.stats)) totals[k] = (totals[k] ?? 0) + v;
  if (values.trace) console.log(result.trace.join('\n'));
  if (!result.ok) {
    failures.push({ seed, failedStep: result.failedStep, violations: result.violations, replay: result.replay, traceHash: result.traceHash });
    for (const v of new Set(result.violations.map((x) => x.invariant))) byInvariant[v] = (byInvariant[v] ?? 0) + 1;
    console.log(`seed ${seed} FAILED at step ${result.failedStep}: ${result.violations.map((v) => `[${v.invariant}] ${v.detail}`).slice(0, 3).join(' | ')}`);
    console.log(`  replay: ${result.replay}${result.dataDir ? `  (data dir ${result.dataDir})` : ''}`);
    if (values['stop-on-failure']) break;
  } else if (seeds <= 20) {
    console.log(`seed ${seed} ok (${result.stepsRun} steps, ${result.durationMs} ms, trace ${result.traceHash.slice(0, 16)})${result.dataDir ? `  (data dir ${result.dataDir})` : ''}`);
  }
}
console.log(
  JSON.stringify({
    seeds,
    start,
    steps,
    fault: values.fault ?? null,
    failed: failures.length,
    failedSeeds: failures.map((f) => f.seed),
    byInvariant,
    totals,
    durationMs: Date.now() - began,
  }),
);
process.exit(failures.length > 0 ? 1 : 0);
