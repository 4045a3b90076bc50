/**
 * The runtime under a steady stream of commands, for the crash test: it prints one JSON line per
 * command only after `execute` resolved (the acknowledgement) and is killed with SIGKILL by the
 * parent. Usage: crash-child.ts <data_dir> <first_command_index> <thread|inline> (where the group
 * commit runs: every batch on the writer thread, or all on the runtime's thread).
 */
import { createRuntime } from '../../src/actors/index.js';
import { isMissionError, type By, type CommandEnvelope, type TaskView } from '../../src/core/index.js';
import { openStore } from '../../src/store/index.js';
import { Workspace, createProjectFiles } from '../../src/workspace/index.js';

const [dataDir, firstArg, commit] = process.argv.slice(2);
if (!dataDir || firstArg === undefined || (commit !== 'thread' && commit !== 'inline')) throw new Error('usage: crash-child.ts <data_dir> <first_index> <thread|inline>');
const first = Number(firstArg);

const ADMIN: By = { kind: 'human', userId: 1, username: 'ada', role: 'admin' };
const SHURI: By = { kind: 'agent', instanceId: 'shuri:crash', soulId: 'shuri', isLead: false };
const SETTINGS = { pulse_interval: 2, pulse_timeout: 1, deadman_timeout: 5 };

const store = await openStore({ dataDir });
// 'thread' sends every batch to the writer thread, however small (the server writes small ones inline).
const rt = createRuntime({
  db: store.db,
  files: createProjectFiles(new Workspace({ dataDir })),
  groupCommit: { maxDelayMs: 2, ...(commit === 'thread' ? { threadMinBatch: 1 } : {}) },
  commitThread: commit === 'thread',
  logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
});
rt.start();

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function exec(name: CommandEnvelope['name'], params: object, key: string, by: By = ADMIN): Promise<unknown> {
  return rt.execute({ name, params: params as never, by, principal_key: by.kind === 'agent' ? `agent:${by.instanceId}` : 'user:1', idempotency_key: key });
}

// Setup is itself idempotent by key, so every restart runs it again safely.
await exec('soul.create', { soul_id: 'shuri', name: 'Shuri' }, 'setup-soul');
await exec('project.init', { project_name: 'Crash', base_id: ['shuri'], settings: SETTINGS }, 'setup-project');
const held = (await exec('task.create', { project_id: 'crash', title: 'held by shuri', assignee_id: 'shuri' }, 'setup-held')) as TaskView;
// The agent takes the task and then goes silent: its deadman is armed from here.
try {
  const moved = (await exec('task.move', { task_id: held.id, new_status: 'in_progress' }, 'setup-take', SHURI)) as TaskView;
  print({ setup: 'taken', task: moved.id, status: moved.status });
} catch (err) {
  print({ setup: 'take-refused', code: isMissionError(err) ? err.code : String(err) });
}

const createdThisRun: string[] = [];
let next = first;

async function worker(): Promise<void> {
  for (;;) {
    const i = next++;
    const target = i % 4 === 3 ? createdThisRun.shift() : undefined;
    if (target) {
      const view = (await exec('task.move', { task_id: target, new_status: 'in_progress' }, `m-${i}`)) as TaskView;
      print({ i, kind: 'move', task: view.id, status: view.status });
    } else {
      const view = (await exec('task.create', { project_id: 'crash', title: `t-${i}` }, `c-${i}`)) as TaskView;
      createdThisRun.push(view.id);
      print({ i, kind: 'create', task: view.id, title: view.title });
    }
  }
}

print({ ready: true, first });
await Promise.all(Array.from({ length: 8 }, () => worker()));
