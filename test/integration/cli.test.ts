import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { openDatabase } from '../../src/store/index.js';
import { ChildOutput, exitOf, spawnTs, stopChild } from '../support/child.js';

const CLI = 'src/cli/main.ts';
let dir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-cli-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in its own process to completion. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | string; out: string }> {
  const child = spawnTs(CLI, args, env);
  children.push(child);
  const output = new ChildOutput(child);
  const code = await exitOf(child);
  return { code, out: output.text };
}

/** Starts `serve` and waits for its "listening" log line. */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; out: ChildOutput; url: string }> {
  const child = spawnTs(CLI, ['serve', '--port', '0', '--log-level', 'info', ...args], { MC_DEMO: '' /* empty = unset */, ...env });
  children.push(child);
  const out = new ChildOutput(child);
  const line = await out.waitFor(/listening on http/);
  const url = (JSON.parse(line) as { url: string }).url;
  return { child, out, url };
}

/** Version and name of each migration in the repository's migrations/ folder, from its up file. */
function shippedMigrations(): { version: string; name: string }[] {
  return readdirSync(join(import.meta.dirname, '..', '..', 'migrations'))
    .map((f) => /^(\d{4})_([a-z0-9_]+)\.up\.sql$/.exec(f))
    .filter((m) => m !== null)
    .map((m) => ({ version: m[1]!, name: m[2]! }))
    .sort((a, b) => a.version.localeCompare(b.version));
}

/** The migration lines of `migrate status`: `NNNN  name  state  [applied at]`. */
function statusLines(out: string): { version: string; name: string; state: string }[] {
  return [...out.matchAll(/^(\d{4})\s+(\S+)\s+(\S+)(?:\s+\d{4}-\S+)?$/gm)].map((m) => ({ version: m[1]!, name: m[2]!, state: m[3]! }));
}

describe('mission-control serve', () => {
  it('serves /healthz, refuses a second server on the same data dir, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(dir, 'data');
    const first = await serve(['--data-dir', dataDir]);
    const health = await fetch(`${first.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    const second = await run(['serve', '--port', '0', '--data-dir', dataDir]);
    expect(second.code).toBe(1);
    expect(second.out).toContain('DATA_DIR_LOCKED');
    expect(second.out).toContain(`process ${first.child.pid}`);

    const migrate = await run(['migrate', 'up', '--data-dir', dataDir]);
    expect(migrate.code).toBe(1);
    expect(migrate.out).toContain('DATA_DIR_LOCKED');

    first.child.kill('SIGTERM');
    expect(await exitOf(first.child)).toBe(0);
    expect(first.out.text).toContain('"msg":"stopped"');
    expect(existsSync(join(dataDir, 'mission-control.lock'))).toBe(false);
  });

  it('warns at start when glibc malloc thresholds are not fixed, naming them, and not when they are', async () => {
    // undefined leaves a variable out of the child's environment, whatever the test runner has.
    const untuned = await serve(['--data-dir', join(dir, 'a')], { MALLOC_MMAP_THRESHOLD_: undefined, MALLOC_TRIM_THRESHOLD_: undefined });
    const warning = untuned.out.text.split('\n').find((l) => l.includes('malloc thresholds not set'));
    expect(warning, untuned.out.text).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, missing: ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_'] });
    const tuned = await serve(['--data-dir', join(dir, 'b')], { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' });
    expect(tuned.out.text).not.toContain('malloc thresholds not set');
  });

  it('warns at start when node runs without the V8 heap flags, and not when NODE_OPTIONS gives them', async () => {
    const untuned = await serve(['--data-dir', join(dir, 'a')], { NODE_OPTIONS: '' });
    const warning = untuned.out.text.split('\n').find((l) => l.includes('without the V8 heap flags'));
    expect(warning, untuned.out.text).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, missing: ['--max-semi-space-size=64'] });
    const tuned = await serve(['--data-dir', join(dir, 'b')], { NODE_OPTIONS: '--max_semi_space_size=32' });
    expect(tuned.out.text).not.toContain('without the V8 heap flags');
  });

  it('stops start-up with exit 1 and a message naming the bad key', async () => {
    const flag = await run(['serve', '--port', '70000', '--data-dir', join(dir, 'd')]);
    expect(flag.code).toBe(1);
    expect(flag.out).toMatch(/CONFIG_INVALID[\s\S]*port = 70000 \(from flag --port\)/);
    const env = await run(['serve', '--data-dir', join(dir, 'd')], { MC_SYNC_MODE: 'SOMETIMES' });
    expect(env.code).toBe(1);
    expect(env.out).toMatch(/sync_mode = "SOMETIMES" \(from env MC_SYNC_MODE\).*"NORMAL"\|"FULL"/);
  });
});

describe('mission-control migrate, check, backup, restore', () => {
  it('migrate status on a fresh data dir lists each migration as pending without creating the database', async () => {
    const dataDir = join(dir, 'fresh');
    const { code, out } = await run(['migrate', 'status', '--data-dir', dataDir]);
    expect(code).toBe(0);
    const shipped = shippedMigrations();
    expect(shipped.length).toBeGreaterThan(0);
    expect(statusLines(out)).toEqual(shipped.map((m) => ({ ...m, state: 'pending' })));
    expect(existsSync(join(dataDir, 'mission-control.db'))).toBe(false);
  });

  it('migrate up then status shows applied; down --to 0 reverts', async () => {
    const dataDir = join(dir, 'm');
    expect((await run(['migrate', 'up', '--data-dir', dataDir])).out).toContain('applied  0001 initial');
    const applied = statusLines((await run(['migrate', 'status', '--data-dir', dataDir])).out);
    expect(applied).toEqual(shippedMigrations().map((m) => ({ ...m, state: 'applied' })));
    const down = await run(['migrate', 'down', '--to', '0', '--data-dir', dataDir]);
    expect(down.code).toBe(0);
    expect(down.out).toContain('reverted 0001 initial');
    expect((await run(['migrate', 'status', '--data-dir', dataDir])).out).toMatch(/^0001\s+initial\s+pending$/m);
  });

  it('check exits 0 on a sound database and 1 on a broken foreign key', async () => {
    const dataDir = join(dir, 'c');
    await run(['migrate', 'up', '--data-dir', dataDir]);
    expect((await run(['check', '--data-dir', dataDir])).code).toBe(0);
    const db = openDatabase(join(dataDir, 'mission-control.db'));
    db.pragma('foreign_keys = OFF');
    db.prepare("INSERT INTO tasks (id, project_id, n, title, created_at, updated_at) VALUES ('ghost-1', 'ghost', 1, 'orphan', 1, 1)").run();
    db.close();
    const broken = await run(['check', '--data-dir', dataDir]);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain('foreign key: tasks');
  });

  it('backup then restore through the CLI', async () => {
    const dataDir = join(dir, 'b');
    await run(['migrate', 'up', '--data-dir', dataDir]);
    const archive = join(dir, 'b.tar.gz');
    const backup = await run(['backup', archive, '--data-dir', dataDir]);
    expect(backup.code).toBe(0);
    expect(backup.out).toContain('backup written');
    const restore = await run(['restore', archive, '--data-dir', join(dir, 'elsewhere')]);
    expect(restore.code).toBe(0);
    expect((await run(['check', '--data-dir', join(dir, 'elsewhere')])).code).toBe(0);
    const bad = await run(['restore', join(dir, 'missing.tar.gz'), '--data-dir', dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('BACKUP_INVALID');
  });
});

describe('usage and exit codes', () => {
  // In-process: main() is what the bin runs; the process-level behaviour is covered above.
  const cases: [string, number, string[]][] = [
    ['no command', 2, []],
    ['unknown command', 2, ['launch']],
    ['unknown option', 2, ['check', '--bogus']],
    ['missing argument', 2, ['backup']],
    ['extra argument', 2, ['check', 'now']],
    ['unknown migrate action', 2, ['migrate', 'sideways']],
    ['non-numeric --to', 2, ['migrate', 'down', '--to', 'last']],
    ['--help', 0, ['--help']],
    ['serve --help', 0, ['serve', '--help']],
    ['check on a missing database', 1, ['check', '--data-dir', '/nonexistent/mc-data']],
  ];
  it.each(cases)('%s exits %i', async (_name, expected, args) => {
    const lines: string[] = [];
    const code = await main(args, { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, cwd: dir });
    expect(code).toBe(expected);
    if (expected === 2) expect(lines.join('\n')).toContain('Usage');
  });
});
