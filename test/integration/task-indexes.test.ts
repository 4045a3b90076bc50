import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, TasksRepo, type Store, type TaskRecord } from '../../src/store/index.js';

/**
 * The `tasks` table after migration 0005: a status change (nearly every task event) rewrites the
 * row and no index entry, while the board and the assignee queries still answer in their order
 * (written here from SPEC §3's codes: backlog 0, in_progress 1, done 2, blocked 3, archived 4,
 * review 5) and the assignee ones still come from an index.
 */
const open: { store: Store; dir: string }[] = [];
afterEach(() => {
  for (const { store, dir } of open.splice(0)) {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function store(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-task-indexes-'));
  const s = await openStore({ dataDir: dir });
  open.push({ store: s, dir });
  s.db.prepare("INSERT INTO projects (id, name, created_at, updated_at) VALUES ('p', 'P', 1, 1)").run();
  return s;
}

/** Task p-<n> with a status code, priority and assignee. */
function record(n: number, status: number, priority: number, assignee: string | null): TaskRecord {
  return [`p-${n}`, 'p', `task ${n}`, '', status, priority, assignee, '[]', 1, null, null, 0, 0, 3, null, 1, n, n, n];
}

/** (n, status, priority, assignee) of the tasks below. */
const TASKS: [number, number, number, string | null][] = [
  [1, 2, 3, 'ana'],
  [2, 1, 2, 'ana'],
  [3, 0, 1, null],
  [4, 1, 5, 'bo'],
  [5, 3, 3, 'ana'],
  [6, 0, 3, 'ana'],
  [7, 1, 1, 'ana'],
  [8, 5, 2, 'bo'],
  [9, 4, 3, 'ana'],
  [10, 0, 1, null],
];

async function seeded(): Promise<{ s: Store; tasks: TasksRepo }> {
  const s = await store();
  const tasks = new TasksRepo(s.db);
  for (const [n, status, priority, assignee] of TASKS) tasks.upsertRecord(record(n, status, priority, assignee), true);
  return { s, tasks };
}

describe('tasks indexes', () => {
  it('keeps the status column out of every index of tasks, so a status change moves no index entry', async () => {
    const s = await store();
    const indexes = s.db.prepare("SELECT name FROM pragma_index_list('tasks')").all() as { name: string }[];
    expect(indexes.length).toBeGreaterThan(0);
    for (const { name } of indexes) {
      const columns = (s.db.prepare('SELECT name FROM pragma_index_info(?)').all(name) as { name: string | null }[]).map((c) => c.name);
      expect(columns, name).not.toContain('status');
    }
  });

  it('answers the board in status code, priority, number order', async () => {
    const { tasks } = await seeded();
    const expected = [...TASKS].sort((a, b) => a[1] - b[1] || a[2] - b[2] || a[0] - b[0]).map(([n]) => `p-${n}`);
    expect(tasks.board('p').map((t) => t.id)).toEqual(expected);
    expect(expected.slice(0, 3)).toEqual(['p-3', 'p-10', 'p-6']);
  });

  it("answers an assignee's in-progress and open tasks in number order, after status changes", async () => {
    const { tasks } = await seeded();
    expect(tasks.inProgressOf('p', 'ana')).toEqual(['p-2', 'p-7']);
    expect(tasks.openOf('p', 'ana')).toEqual(['p-2', 'p-5', 'p-6', 'p-7']);
    expect(tasks.openOf('p', 'bo')).toEqual(['p-4', 'p-8']);
    // p-6 started, p-2 done, p-4 handed from bo to ana.
    tasks.upsertRecord(record(6, 1, 3, 'ana'));
    tasks.upsertRecord(record(2, 2, 2, 'ana'));
    tasks.upsertRecord(record(4, 1, 5, 'ana'));
    expect(tasks.inProgressOf('p', 'ana')).toEqual(['p-4', 'p-6', 'p-7']);
    expect(tasks.openOf('p', 'bo')).toEqual(['p-8']);
  });

  it('finds an assignee’s tasks through an index, not a scan of the table', async () => {
    const s = await store();
    for (const sql of [
      'SELECT id FROM tasks WHERE project_id = ? AND assignee_id = ? AND status = 1 ORDER BY n',
      'SELECT id FROM tasks WHERE project_id = ? AND assignee_id = ? AND status IN (0, 1, 3, 5) ORDER BY n',
    ]) {
      const plan = (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('p', 'ana') as { detail: string }[]).map((r) => r.detail).join(' | ');
      expect(plan).toMatch(/USING INDEX tasks_assignee/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });
});
