/**
 * Runtime benchmark (npm run bench:runtime). Prints progress, then as its LAST line one JSON
 * object: bare XState throughput (also with the durable run's lives interleaved), the host in
 * memory, the host with durable group commit (as the server runs it: the writer thread and the
 * server's default batch size; and inline beside it; and with each task's commands pipelined),
 * their ratio (median of rounds, each durable run between two bare runs; wall clock and CPU
 * time), the ratio the same lives reach with a commit that costs nothing (the ceiling), the
 * durable run's CPU per event by thread, restore speed ("ready" with lazy activation, and "all
 * created"), and resident memory for 100k tasks + 10k agents (measured in a child process with
 * --expose-gc).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createActor } from 'xstate';
import { CommitUnit, createRuntime, taskRecord, type ProjectFiles, type ResidentActor, type Runtime } from '../src/actors/index.js';
import { heapFlagsInEffect, missingHeapFlags, V8_HEAP_FLAGS } from '../src/app/heap-tuning.js';
import { configSchema } from '../src/config/index.js';
import type { By, CommandEnvelope, TaskView } from '../src/core/index.js';
import { taskMachine, type TaskInput } from '../src/machines/index.js';
import { createRepositories, openStore, type EventRecord, type Store, type TaskRecord } from '../src/store/index.js';

const HUMAN: By = { kind: 'human', userId: 1, username: 'bench', role: 'admin' };
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** This benchmark measures the actor host and the commit; file effects are the workspace's (its own tests). */
const noFiles: ProjectFiles = {
  projectCreated: async () => undefined,
  projectDeleted: async () => undefined,
  soulWritten: async () => undefined,
  instanceCreated: async () => undefined,
  instanceDestroyed: async () => undefined,
  writeKanban: async () => undefined,
  syncChronicle: async () => undefined,
  appendDaily: async () => undefined,
  distillMemory: async () => undefined,
  syncLearned: async () => undefined,
  buildPulsePrompt: async (s) => s.pulse_id,
};
/** BENCH_CACHE_MB: the SQLite page cache of the measured stores (default: the store's own). */
const CACHE_MB = process.env.BENCH_CACHE_MB ? Number(process.env.BENCH_CACHE_MB) : undefined;
/** One task's life after its creation: started, blocked, unblocked, submitted. */
const TASK_LIFE = [
  { type: 'start', by: HUMAN, deps_done: true },
  { type: 'block', by: HUMAN, reason: 'waiting' },
  { type: 'unblock', by: HUMAN, answer: 'go' },
  { type: 'submit', by: HUMAN },
] as const;
/** Events per task life: its creation and TASK_LIFE. */
const EVENTS_PER_TASK = 1 + TASK_LIFE.length;
/** The server's group commit settings (max_batch, max_delay_ms, the writer thread). */
const SERVER_COMMIT = configSchema.parse({}).group_commit;
/**
 * Task lives in flight in the durable runs (BENCH_IN_FLIGHT): four batches' worth, so the writer
 * thread has a batch to commit while the next one is built, as with many clients.
 */
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 4 * SERVER_COMMIT.max_batch);

function input(id: string): TaskInput {
  return { id, project_id: 'bench', title: `task ${id}`, description: '', priority: 3, assignee_id: null, depends_on: [], require_review: false, max_attempts: 3 };
}

/** CPU time of this process in ms (user + system): what a run cost, whatever else the machine ran. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * CPU time of each thread of this process in ms (Linux: `/proc/self/task/<tid>/stat`, in clock
 * ticks of 10 ms), keyed by thread id; null where there is no /proc. The actors' thread is the
 * one whose id is the process id; the others are the writer thread and V8's helpers (GC).
 */
function threadCpuMs(): Map<number, number> | null {
  try {
    const cpu = new Map<number, number>();
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // After "pid (name) ": state is field 0, utime field 11 and stime field 12 (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * 10);
    }
    return cpu;
  } catch {
    return null;
  }
}

/** CPU µs per event since `before`: the actors' thread, and every other thread of the process. */
function threadCpuPerEvent(before: Map<number, number> | null, events: number): { actors: number; others: number } | null {
  const after = threadCpuMs();
  if (!before || !after) return null;
  let actors = 0;
  let others = 0;
  for (const [tid, ms] of after) {
    const spent = ms - (before.get(tid) ?? 0);
    if (tid === process.pid) actors += spent;
    else others += spent;
  }
  return { actors: (actors * 1000) / events, others: (others * 1000) / events };
}

/** The mean of two rates over equal work: the rate of the two runs' total time. */
function timeMean(a: number, b: number): number {
  return 2 / (1 / a + 1 / b);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function bare(tasks: number): number {
  return bareRun(tasks).rate;
}

/** Bare XState: wall-clock rate and CPU-time rate. */
function bareRun(tasks: number): { rate: number; cpuRate: number } {
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 1; i <= tasks; i++) {
    const actor = createActor(taskMachine, { input: input(`bench-${i}`) });
    actor.start();
    for (const event of TASK_LIFE) actor.send({ ...event });
  }
  return { rate: (tasks * EVENTS_PER_TASK) / ((performance.now() - t0) / 1000), cpuRate: (tasks * EVENTS_PER_TASK) / ((cpuMs() - c0) / 1000) };
}

/**
 * Bare XState with the lives interleaved as the durable run holds them: `width` tasks created,
 * then each event sent to all of them in turn, so every actor waits for the others between its
 * events (as it waits for its commit) and its snapshots outlive the young generation. No host,
 * no persistence: what keeping that many lives in flight costs XState itself.
 */
function bareInterleaved(tasks: number, width: number): number {
  const t0 = performance.now();
  for (let lo = 1; lo <= tasks; lo += width) {
    const actors = [];
    for (let i = lo; i < lo + width && i <= tasks; i++) {
      const actor = createActor(taskMachine, { input: input(`bench-${i}`) });
      actor.start();
      actors.push(actor);
    }
    for (const event of TASK_LIFE) for (const actor of actors) actor.send({ ...event });
  }
  return (tasks * EVENTS_PER_TASK) / ((performance.now() - t0) / 1000);
}

async function openBench(commitThread = SERVER_COMMIT.thread): Promise<{ dir: string; store: Store; rt: Runtime }> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-'));
  const store = await openStore({ dataDir: dir, ...(CACHE_MB !== undefined ? { cacheMb: CACHE_MB } : {}) });
  const rt = createRuntime({
    db: store.db,
    files: noFiles,
    scheduling: false,
    logger: quiet,
    commitThread,
    groupCommit: { maxBatch: SERVER_COMMIT.max_batch, maxDelayMs: SERVER_COMMIT.max_delay_ms },
    limits: { max_tasks_per_project: 10_000_000, max_projects: 10_000 },
  });
  rt.start();
  // Clocks start once the writer thread has loaded (a server's start, not commit throughput):
  // before this, a run timed the thread's few hundred milliseconds of loading as commits.
  await rt.ready();
  return { dir, store, rt };
}

function envelope(name: CommandEnvelope['name'], params: object): CommandEnvelope {
  return { name, params: params as never, by: HUMAN, principal_key: 'user:1' };
}

/** Through the host (checked events, views, event records) with no commit. */
async function memory(tasks: number): Promise<number> {
  const { dir, store, rt } = await openBench();
  await rt.execute(envelope('project.init', { project_name: 'bench' }));
  const t0 = performance.now();
  for (let i = 1; i <= tasks; i++) await hostLife(rt, i);
  const rate = (tasks * EVENTS_PER_TASK) / ((performance.now() - t0) / 1000);
  await rt.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

/** Task `bench-<i>` created in a new unit, its id numbered as task.create numbers them (not looked up). */
function spawnTask(rt: Runtime, i: number): { unit: CommitUnit; entry: ResidentActor } {
  const id = `bench-${i}`;
  const unit = new CommitUnit(Date.now());
  const entry = rt.host.spawn(unit, 'task', id, 'bench', input(id), { counted: true });
  rt.host.record(unit, entry, rt.host.snapshot(entry), { type: 'create', by: HUMAN }, 'task.created');
  return { unit, entry };
}

/** One task's life through the host; `commit` (if given) is awaited after each event. */
async function hostLife(rt: Runtime, i: number, commit?: (unit: CommitUnit) => Promise<void>): Promise<void> {
  const created = spawnTask(rt, i);
  const entry = created.entry;
  let unit = created.unit;
  for (const event of TASK_LIFE) {
    if (commit) {
      await commit(unit);
      unit = new CommitUnit(Date.now());
    }
    rt.host.apply(unit, entry, { ...event }, 'task.moved');
  }
  if (commit) await commit(unit);
  else rt.host.committed([entry]); // passivates the done task, as a commit would
}

/**
 * One task's life with its commands pipelined, as a client that sends them without waiting: every
 * event is applied and queued at once, and each is acknowledged only after its own commit. A
 * batch then holds several events of one task and writes its row once (one snapshot per actor per
 * batch), as bare XState takes a task's events one after the other.
 */
async function pipelinedLife(rt: Runtime, i: number): Promise<void> {
  const created = spawnTask(rt, i);
  const entry = created.entry;
  let unit = created.unit;
  const acknowledged = [rt.committer.enqueue(unit)];
  for (const event of TASK_LIFE) {
    unit = new CommitUnit(Date.now());
    rt.host.apply(unit, entry, { ...event }, 'task.moved');
    acknowledged.push(rt.committer.enqueue(unit));
  }
  await Promise.all(acknowledged);
}

/** A task's life through the host, each event acknowledged after its group commit. */
type DurableLife = (rt: Runtime, i: number) => Promise<void>;

/** One event at a time: each waits for the acknowledgement of the one before. */
const sequentialLife: DurableLife = (rt, i) => hostLife(rt, i, (unit) => rt.committer.enqueue(unit));

/**
 * Through the host with group commit before each acknowledgement: `workers` lives in flight, each
 * running `life` (sequential by default; `pipelinedLife`) on task after task.
 */
async function durable(
  tasks: number,
  workers: number,
  commitThread = SERVER_COMMIT.thread,
  life: DurableLife = sequentialLife,
): Promise<{ rate: number; cpuRate: number; transactions: number; threadCpu: { actors: number; others: number } | null }> {
  const { dir, store, rt } = await openBench(commitThread);
  await rt.execute(envelope('project.init', { project_name: 'bench' }));
  const tx0 = rt.committer.transactions;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks) await life(rt, ++next);
  };
  const threads0 = threadCpuMs();
  const c0 = cpuMs();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  const rate = (tasks * EVENTS_PER_TASK) / ((performance.now() - t0) / 1000);
  const cpuRate = (tasks * EVENTS_PER_TASK) / ((cpuMs() - c0) / 1000);
  const threadCpu = threadCpuPerEvent(threads0, tasks * EVENTS_PER_TASK);
  const transactions = rt.committer.transactions - tx0;
  await rt.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate, cpuRate, transactions, threadCpu };
}

/**
 * The durable run's lives with a commit that costs nothing: units are acknowledged in batches of
 * the server's size, each once `depth - 1` later batches are queued behind it (`depth`: the
 * batches the durable run has in flight), and nothing is built, copied or written. What the host
 * and the lives in flight cost without the commit: the ceiling of durable_ratio for this host on
 * this machine.
 */
async function uncommitted(tasks: number, workers: number): Promise<number> {
  const { dir, store, rt } = await openBench();
  await rt.execute(envelope('project.init', { project_name: 'bench' }));
  const batchSize = SERVER_COMMIT.max_batch;
  const depth = Math.max(1, Math.round(workers / batchSize));
  let queue: { unit: CommitUnit; resolve: () => void }[] = [];
  const held: (typeof queue)[] = [];
  let cutScheduled = false;
  let arrivals = 0;
  let draining = false;
  const acknowledge = (units: typeof queue): void => {
    rt.host.committed(new Set(units.flatMap((q) => [...q.unit.touched.values()])));
    for (const q of units) q.resolve();
  };
  // The last lives: once a turn passes with nothing new, the oldest held batch is let go.
  const drainWhenIdle = (): void => {
    if (draining) return;
    draining = true;
    let seen = arrivals;
    const check = (): void => {
      if (arrivals === seen && queue.length === 0 && held.length > 0) acknowledge(held.shift()!);
      seen = arrivals;
      if (held.length > 0) setImmediate(check);
      else draining = false;
    };
    setImmediate(check);
  };
  const cut = (): void => {
    cutScheduled = false;
    if (queue.length > 0) held.push(queue);
    queue = [];
    while (held.length >= depth) acknowledge(held.shift()!);
    drainWhenIdle();
  };
  const hold = (unit: CommitUnit): Promise<void> =>
    new Promise((resolve) => {
      arrivals++;
      queue.push({ unit, resolve });
      if (queue.length >= batchSize) cut();
      else if (!cutScheduled) {
        cutScheduled = true;
        setImmediate(cut);
      }
    });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks) await hostLife(rt, ++next, hold);
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  const rate = (tasks * EVENTS_PER_TASK) / ((performance.now() - t0) / 1000);
  await rt.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

/**
 * The SQLite floor of the durable run: the same rows (an event row and the task's row, its
 * snapshot, per event; values taken from one real task life) written through the same
 * repositories in the same batches, each payload serialised as the commit does, with no actor
 * and no view. No runtime can commit faster than this on this machine, so `durable / floor` is
 * what the host adds on top of SQLite.
 */
async function sqliteFloor(tasks: number, inFlight: number): Promise<number> {
  const { dir, store, rt } = await openBench();
  await rt.execute(envelope('project.init', { project_name: 'bench' }));
  await hostLife(rt, 0, (unit) => rt.committer.enqueue(unit));
  const repos = createRepositories(store.db);
  const events = repos.events.forActor('bench-0').reverse();
  await rt.stop();
  // The task's row after each of its events, as the commit builds it.
  const actor = createActor(taskMachine, { input: input('bench-0') }).start();
  const records = [{ type: 'create' } as const, ...TASK_LIFE].map((event) => {
    if (event.type !== 'create') actor.send({ ...event });
    return taskRecord(actor.getSnapshot(), { created_at: Date.now(), updated_at: Date.now() }, 0);
  });
  // Positions in `TaskRecord` of the task's id and of the seq that produced the row.
  const [RECORD_ID, RECORD_SEQ] = [0, 16] as const;
  let seq = repos.projects.lastSeq('bench') ?? 0;
  const t0 = performance.now();
  for (let lo = 1; lo <= tasks; lo += inFlight) {
    const hi = Math.min(lo + inFlight, tasks + 1);
    for (let step = 0; step < EVENTS_PER_TASK; step++) {
      repos.transaction(() => {
        const rows: EventRecord[] = [];
        for (let i = lo; i < hi; i++) {
          const id = `bench-${i}`;
          const e = events[step]!;
          rows.push([e.project_id, ++seq, e.ts, e.type, e.actor_kind, id, JSON.stringify(e.payload), e.idempotency_key]);
          const record = [...records[step]!] as TaskRecord;
          record[RECORD_ID] = id;
          record[RECORD_SEQ] = seq;
          repos.tasks.upsertRecord(record, step === 0);
        }
        repos.events.appendMany(rows);
        repos.projects.setLastSeq('bench', seq);
      });
    }
  }
  const rate = (tasks * EVENTS_PER_TASK) / ((performance.now() - t0) / 1000);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

/** Through `execute` (command handling, move resolution, holder sync, idempotency-free). */
async function commands(tasks: number, inFlight: number): Promise<number> {
  const { dir, store, rt } = await openBench();
  await rt.execute(envelope('project.init', { project_name: 'bench' }));
  let next = 0;
  const life = async (): Promise<void> => {
    while (next < tasks) {
      next++;
      const view = (await rt.execute(envelope('task.create', { project_id: 'bench', title: 'bench task' }))) as TaskView;
      await rt.execute(envelope('task.move', { task_id: view.id, new_status: 'in_progress' }));
      await rt.execute(envelope('task.move', { task_id: view.id, new_status: 'blocked', reason: 'waiting' }));
      await rt.execute(envelope('task.answer_help', { task_id: view.id, answer: 'go' }));
      await rt.execute(envelope('task.move', { task_id: view.id, new_status: 'done' }));
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, life));
  const rate = (tasks * EVENTS_PER_TASK) / ((performance.now() - t0) / 1000);
  await rt.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

/** Builds a data dir with `projects` × (`agentsPer` instances + `tasksPer` backlog tasks). */
async function buildFleet(projects: number, agentsPer: number, tasksPer: number): Promise<string> {
  const { dir, store, rt } = await openBench();
  const souls = Array.from({ length: agentsPer }, (_, i) => `soul-${i}`);
  for (const s of souls) await rt.execute(envelope('soul.create', { soul_id: s, name: s }));
  for (let p = 0; p < projects; p++) {
    await rt.execute(envelope('project.init', { project_name: `fleet ${p}`, base_id: souls }));
    const creates: Promise<unknown>[] = [];
    for (let t = 0; t < tasksPer; t++) creates.push(rt.execute(envelope('task.create', { project_id: `fleet-${p}`, title: `t${t}` })));
    await Promise.all(creates);
  }
  await rt.stop();
  store.close();
  return dir;
}

/**
 * In a child process: restore the fleet ("ready": rows read and checked, actors dormant), measure
 * RSS after a full GC, then create every XState actor ("all created") and measure again.
 */
async function rssChild(dir: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  const base = process.memoryUsage().rss;
  const store = await openStore({ dataDir: dir });
  const rt = createRuntime({ db: store.db, files: noFiles, scheduling: false, logger: quiet });
  const t0 = performance.now();
  const report = rt.start();
  const readySeconds = (performance.now() - t0) / 1000;
  gc();
  gc();
  const readyRss = process.memoryUsage().rss;
  const t1 = performance.now();
  const refusedLater = rt.host.activateAll();
  const createSeconds = (performance.now() - t1) / 1000;
  gc();
  gc();
  const createdRss = process.memoryUsage().rss;
  process.stdout.write(
    `${JSON.stringify({
      resident: rt.host.size,
      created: rt.host.created,
      restored: report.restored,
      refused: report.refused.length + refusedLater.length,
      restore_ready_actors_per_s: report.restored / readySeconds,
      restore_all_created_actors_per_s: report.restored / (readySeconds + createSeconds),
      ready_rss_mb: readyRss / 2 ** 20,
      created_rss_mb: createdRss / 2 ** 20,
      base_rss_mb: base / 2 ** 20,
    })}\n`,
  );
  await rt.stop();
  store.close();
}

/** Medians of the durable runs' CPU per event by thread, where /proc told them. */
function cpuSplitFigures(rounds: { bareCpuUs: number; threadCpu: { actors: number; others: number } | null }[]): Record<string, number> {
  const measured = rounds.flatMap((r) => (r.threadCpu ? [r.threadCpu] : []));
  if (measured.length === 0) return {};
  return {
    durable_cpu_us_per_event_actors_thread: Number(median(measured.map((t) => t.actors)).toFixed(1)),
    durable_cpu_us_per_event_other_threads: Number(median(measured.map((t) => t.others)).toFixed(1)),
    bare_cpu_us_per_event: Number(median(rounds.map((r) => r.bareCpuUs)).toFixed(1)),
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--rss-child') return rssChild(process.argv[3]!);
  const tasks = Number(process.env.BENCH_TASKS ?? 20_000);
  // Measured as the server runs (npm run bench:runtime passes its V8 flags); said when it is not.
  const missing = missingHeapFlags();
  if (missing.length > 0) console.error(`running without the server's V8 flags ${missing.join(' ')}: the figures are not the server's`);
  bare(2_000); // warm-up
  await memory(1_000);
  await durable(1_000, 64);
  await durable(1_000, 64, false);
  await durable(1_000, 64, SERVER_COMMIT.thread, pipelinedLife);
  await commands(500, 64);
  // On a shared machine the speed of a core changes from second to second (bare XState alone
  // moves between ~60k and ~140k events/s here): each durable run is measured between two bare
  // runs and its ratio is taken against their mean, so both sides see the same stretch of time.
  // The ratio is the median over BENCH_ROUNDS rounds (wall clock), the CPU-time ratio beside it.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const lives = Math.max(1, Math.round(IN_FLIGHT / EVENTS_PER_TASK));
  const perRound: {
    bare: number[];
    interleaved: number;
    durable: number;
    ratio: number;
    cpuRatio: number;
    inlineRatio: number;
    pipelined: number;
    pipelinedRatio: number;
    commitFreeRatio: number;
    bareCpuUs: number;
    threadCpu: { actors: number; others: number } | null;
  }[] = [];
  for (let r = 0; r < rounds; r++) {
    const b1 = bareRun(tasks);
    const d = await durable(tasks, IN_FLIGHT);
    const b2 = bareRun(tasks);
    // `lives` pipelined lives hold as many commands in flight as IN_FLIGHT sequential ones.
    const p = await durable(tasks, lives, SERVER_COMMIT.thread, pipelinedLife);
    const b3 = bareRun(tasks);
    // The same run with the commit on the runtime's thread: what the writer thread adds.
    const inline = await durable(tasks, IN_FLIGHT, false);
    const b4 = bareRun(tasks);
    const interleaved = bareInterleaved(tasks, IN_FLIGHT);
    // The durable run's lives with a commit that costs nothing: the ceiling of the ratio.
    const free = await uncommitted(tasks, IN_FLIGHT);
    const b5 = bareRun(tasks);
    const bares = [b1, b2, b3, b4, b5];
    const commitFreeRatio = free / timeMean(b4.rate, b5.rate);
    const ratio = d.rate / timeMean(b1.rate, b2.rate);
    const pipelinedRatio = p.rate / timeMean(b2.rate, b3.rate);
    const inlineRatio = inline.rate / timeMean(b3.rate, b4.rate);
    const cpuRatio = d.cpuRate / timeMean(b1.cpuRate, b2.cpuRate);
    const bareCpuUs = 1e6 / timeMean(b1.cpuRate, b2.cpuRate);
    perRound.push({ bare: bares.map((b) => b.rate), interleaved, durable: d.rate, ratio, cpuRatio, inlineRatio, pipelined: p.rate, pipelinedRatio, commitFreeRatio, bareCpuUs, threadCpu: d.threadCpu });
    const cpuSplit = d.threadCpu ? ` (cpu µs/event: actors' thread ${d.threadCpu.actors.toFixed(1)}, other threads ${d.threadCpu.others.toFixed(1)}; bare ${bareCpuUs.toFixed(1)})` : '';
    console.log(
      `round ${r + 1}: bare ${bares.map((b) => b.rate.toFixed(0)).join(' / ')} ev/s (${IN_FLIGHT} interleaved ${interleaved.toFixed(0)}) · durable ${d.rate.toFixed(0)} ev/s in ${d.transactions} transactions, ratio ${ratio.toFixed(3)} (cpu ${cpuRatio.toFixed(3)})${cpuSplit} · commit-free ratio ${commitFreeRatio.toFixed(3)} · pipelined ${p.rate.toFixed(0)} ev/s in ${p.transactions} transactions, ratio ${pipelinedRatio.toFixed(3)} · inline ${inline.rate.toFixed(0)} ev/s, ratio ${inlineRatio.toFixed(3)}`,
    );
  }
  // BENCH_RATIO_ONLY=1: stop after the rounds (a quick look at the ratio while working on it).
  if (process.env.BENCH_RATIO_ONLY) return;
  const bareRates = perRound.flatMap((r) => r.bare);
  const bareRate = median(bareRates);
  const durableRate = median(perRound.map((r) => r.durable));
  const floorRate = median([await sqliteFloor(tasks, SERVER_COMMIT.max_batch), await sqliteFloor(tasks, SERVER_COMMIT.max_batch), await sqliteFloor(tasks, SERVER_COMMIT.max_batch)]);
  const memoryRate = await memory(tasks);
  const commandRate = await commands(Math.round(tasks / 2), IN_FLIGHT);
  console.log(`bare ${bareRate.toFixed(0)} ev/s · memory ${memoryRate.toFixed(0)} ev/s · durable ${durableRate.toFixed(0)} ev/s (medians)`);
  console.log(`full commands through execute (durable): ${commandRate.toFixed(0)} ev/s`);
  console.log(`sqlite floor (the same rows, no actors): ${floorRate.toFixed(0)} ev/s · durable / floor ${(durableRate / floorRate).toFixed(3)} · inline ceiling of durable_ratio ≈ ${(1 / (1 / bareRate + 1 / floorRate) / bareRate).toFixed(3)}`);

  const projects = Number(process.env.BENCH_PROJECTS ?? 100);
  console.log(`building ${projects * 100} agents + ${projects * 1000} tasks …`);
  const dir = await buildFleet(projects, 100, 1000);
  // The measuring child runs with the server's V8 flags; BENCH_NODE_FLAGS adds to them.
  const flags = [...V8_HEAP_FLAGS, ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
  const child = spawnSync(process.execPath, ['--expose-gc', ...flags, '--import', 'tsx', fileURLToPath(import.meta.url), '--rss-child', dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
  rmSync(dir, { recursive: true, force: true });
  if (child.status !== 0) throw new Error(`rss child failed: ${child.stderr}`);
  const lines = child.stdout.trim().split('\n');
  const fleet = JSON.parse(lines[lines.length - 1]!) as {
    resident: number;
    created: number;
    refused: number;
    restore_ready_actors_per_s: number;
    restore_all_created_actors_per_s: number;
    ready_rss_mb: number;
    created_rss_mb: number;
  };
  console.log(
    `fleet: ${fleet.resident} resident actors (${fleet.refused} refused); ready at ${fleet.restore_ready_actors_per_s.toFixed(0)} actors/s (rss ${fleet.ready_rss_mb.toFixed(0)} MB), ` +
      `all ${fleet.created} XState actors created at ${fleet.restore_all_created_actors_per_s.toFixed(0)} actors/s overall (rss ${fleet.created_rss_mb.toFixed(0)} MB)`,
  );
  console.log(
    JSON.stringify({
      bare_events_per_s: Math.round(bareRate),
      runtime_memory_events_per_s: Math.round(memoryRate),
      runtime_durable_events_per_s: Math.round(durableRate),
      durable_ratio: Number(median(perRound.map((r) => r.ratio)).toFixed(3)),
      durable_ratio_cpu: Number(median(perRound.map((r) => r.cpuRatio)).toFixed(3)),
      // The same lives, acknowledged in the same batches with nothing committed: the ceiling of
      // durable_ratio for this host on this machine (what the commit path has to fit under).
      durable_ratio_commit_free: Number(median(perRound.map((r) => r.commitFreeRatio)).toFixed(3)),
      // CPU per event of the durable run on the actors' thread and on the others (the writer
      // thread and V8's GC helpers), and bare XState's (Linux /proc; absent elsewhere).
      ...cpuSplitFigures(perRound),
      // The commit inline on the runtime's thread (group_commit.thread = false).
      durable_ratio_inline: Number(median(perRound.map((r) => r.inlineRatio)).toFixed(3)),
      // Each task's five commands sent without waiting, each acknowledged after its commit
      // (as many commands in flight as the durable run): one row write per task per batch.
      runtime_durable_pipelined_events_per_s: Math.round(median(perRound.map((r) => r.pipelined))),
      durable_ratio_pipelined: Number(median(perRound.map((r) => r.pipelinedRatio)).toFixed(3)),
      // The slowest and fastest bare run: how much the machine's speed moved during the rounds.
      bare_events_per_s_range: [Math.round(Math.min(...bareRates)), Math.round(Math.max(...bareRates))],
      // Bare XState with IN_FLIGHT lives interleaved (no host): what holding them costs XState alone.
      bare_interleaved_events_per_s: Math.round(median(perRound.map((r) => r.interleaved))),
      // The same rows written with no actor at all. Inline, bare + floor in turn bound durable from
      // above; on the writer thread the floor alone does (floor / bare).
      sqlite_floor_events_per_s: Math.round(floorRate),
      durable_ratio_ceiling_inline: Number((1 / (1 / bareRate + 1 / floorRate) / bareRate).toFixed(3)),
      durable_ratio_ceiling_thread: Number(Math.min(1, floorRate / bareRate).toFixed(3)),
      // "ready to serve": snapshots read and checked, actors created on first use (lazy activation).
      restore_actors_per_s: Math.round(fleet.restore_ready_actors_per_s),
      restore_all_created_actors_per_s: Math.round(fleet.restore_all_created_actors_per_s),
      rss_mb_100k_tasks_10k_agents: Math.round(fleet.created_rss_mb),
      rss_mb_ready_dormant: Math.round(fleet.ready_rss_mb),
      // The V8 heap flags this run measured with (the server's, src/app/heap-tuning.ts, unless said above).
      node_flags: heapFlagsInEffect().join(' '),
    }),
  );
}

await main();
