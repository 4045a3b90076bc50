/**
 * One benchmark entry point (`npm run bench`): runs every benchmark as its own child process, one
 * after another (they measure the machine; running them together would measure each other),
 * takes the last JSON line each prints, writes `bench/results/latest.json` and prints a table
 * with each figure beside its in-run baseline (a floor or an earlier phase measured in the same
 * run, on the same machine) and the ratio. `--only runtime,gateway` runs a subset.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/server-process.js';
import { round } from './lib/stats.js';
import { V8_HEAP_FLAGS } from '../src/app/heap-tuning.js';

interface Bench {
  name: string;
  file: string;
  args: string[];
  /** figure → the in-run figure it is compared with. */
  baselines: Record<string, string>;
}

const BENCHES: Bench[] = [
  {
    name: 'runtime',
    file: 'bench/runtime.bench.ts',
    args: [],
    baselines: { runtime_memory_events_per_s: 'bare_events_per_s', runtime_durable_events_per_s: 'bare_events_per_s' },
  },
  {
    name: 'gateway',
    file: 'bench/gateway.bench.ts',
    args: [],
    baselines: { rpc_per_s: 'echo_rpc_per_s', feed_p99_ms: 'feed_p50_ms', feed_from_request_p99_ms: 'rpc_p99_ms' },
  },
  {
    name: 'soak',
    file: 'bench/soak.ts',
    args: ['--minutes', process.env.BENCH_SOAK_MINUTES ?? '2'],
    baselines: {
      soak_rpc_p99_ms_last_min: 'soak_rpc_p99_ms_second_min',
      soak_feed_p99_ms_last_min: 'soak_feed_p99_ms_second_min',
      soak_active_resources_last_min: 'soak_active_resources_second_min',
    },
  },
  { name: 'sim', file: 'bench/sim.ts', args: [], baselines: {} },
];

interface Outcome {
  name: string;
  ok: boolean;
  seconds: number;
  figures: Record<string, unknown>;
  error?: string;
}

/** Runs one benchmark; its stderr (progress) passes through, its stdout is kept. */
function run(bench: Bench): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    // Run with the server's V8 flags (src/app/heap-tuning.ts), as production runs.
    const child = spawn(process.execPath, [...V8_HEAP_FLAGS, '--import', 'tsx', join(REPO_ROOT, bench.file), ...bench.args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      process.stderr.write(chunk);
    });
    child.on('exit', (code, signal) => {
      const seconds = round((performance.now() - started) / 1000, 1);
      const lines = out.trim().split('\n');
      const last = lines.at(-1) ?? '';
      let figures: Record<string, unknown> | null = null;
      try {
        const parsed: unknown = JSON.parse(last);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) figures = parsed as Record<string, unknown>;
      } catch {
        figures = null;
      }
      if (code !== 0 || figures === null) {
        resolve({ name: bench.name, ok: false, seconds, figures: figures ?? {}, error: `exit ${code ?? signal}${figures === null ? '; last line is not a JSON object' : ''}` });
      } else resolve({ name: bench.name, ok: true, seconds, figures });
    });
  });
}

interface Row {
  bench: string;
  figure: string;
  value: unknown;
  baseline: string | null;
  baseline_value: unknown;
  ratio: number | null;
}

function rows(outcome: Outcome, bench: Bench): Row[] {
  return Object.entries(outcome.figures).map(([figure, value]) => {
    const baseline = bench.baselines[figure] ?? null;
    const baselineValue = baseline ? outcome.figures[baseline] : undefined;
    const ratio = typeof value === 'number' && typeof baselineValue === 'number' && baselineValue !== 0 ? round(value / baselineValue, 3) : null;
    return { bench: outcome.name, figure, value, baseline, baseline_value: baselineValue ?? null, ratio };
  });
}

function table(all: Row[]): string {
  const head = ['bench', 'figure', 'value', 'in-run baseline', 'baseline value', 'ratio'];
  const cells = all.map((r) => [r.bench, r.figure, fmt(r.value), r.baseline ?? '', r.baseline ? fmt(r.baseline_value) : '', r.ratio === null ? '' : `${r.ratio}×`]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((v, i) => (i >= 2 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

const MAX_CELL = 40;

function fmt(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(round(v, 2));
  const text = v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // Structured figures (e.g. the sim's totals) are in latest.json in full.
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  const only = values.only?.split(',').map((s) => s.trim());
  const selected = BENCHES.filter((b) => (!only || only.includes(b.name)) && existsSync(join(REPO_ROOT, b.file)));
  const skipped = BENCHES.filter((b) => !existsSync(join(REPO_ROOT, b.file))).map((b) => b.file);
  if (skipped.length > 0) process.stderr.write(`bench: not present, not run: ${skipped.join(', ')}\n`);

  const outcomes: Outcome[] = [];
  const allRows: Row[] = [];
  for (const bench of selected) {
    process.stderr.write(`\n=== ${bench.name}: ${bench.file} ${bench.args.join(' ')}\n`);
    const outcome = await run(bench);
    outcomes.push(outcome);
    allRows.push(...rows(outcome, bench));
    process.stderr.write(`=== ${bench.name}: ${outcome.ok ? 'ok' : `FAILED (${outcome.error})`} in ${outcome.seconds} s\n`);
  }

  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const report = {
    ran_at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavg_at_end: loadavg().map((l) => round(l, 2)),
    benches: Object.fromEntries(outcomes.map((o) => [o.name, o])),
    table: allRows,
  };
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${table(allRows)}\n`);
  for (const o of outcomes) if (!o.ok) console.log(`${o.name}: FAILED (${o.error})`);
  console.log(`written: bench/results/latest.json (load average ${report.loadavg_at_end.join(' ')} on ${report.cpus} cpus)`);
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

await main();
