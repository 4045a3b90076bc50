import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildOutput, exitOf, REPO_ROOT } from '../support/child.js';

// Runs a real vitest on a throwaway suite with the no-skip reporter, as `npm test` does.
const dir = mkdtempSync(join(tmpdir(), 'mc-noskip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function vitestOn(files: Record<string, string>, ci: boolean): Promise<{ code: number | string; out: string }> {
  const root = mkdtempSync(join(dir, 'suite-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  writeFileSync(join(root, 'vitest.config.mjs'), 'export default { test: { globals: true, include: ["*.test.mjs"] } };\n');
  const env: NodeJS.ProcessEnv = { ...process.env, CI: ci ? 'true' : '' };
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  delete env.VITEST_POOL_ID;
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', root, `--reporter=${join(REPO_ROOT, 'test/support/no-skip-reporter.ts')}`, '--reporter=default'],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out = new ChildOutput(child);
  return { code: await exitOf(child, 90_000), out: out.text };
}

const SKIPPING = {
  'a.test.mjs': "it('runs', () => expect(1).toBe(1));\nit.skip('was skipped', () => expect(1).toBe(2));\nit.todo('write me later');\n",
};

describe('no-skip reporter', () => {
  it('fails a CI run with a skipped or todo test, naming them, and still ends with the summary', async () => {
    const { code, out } = await vitestOn(SKIPPING, true);
    expect(code).toBe(1);
    expect(out).toContain('2 test(s) skipped or todo');
    expect(out).toContain('was skipped (skip)');
    expect(out).toContain('write me later (todo)');
    const tail = out.trimEnd().split('\n').slice(-4).join('\n');
    expect(tail).toMatch(/Duration/);
  });

  it('lets the same suite pass outside CI', async () => {
    expect((await vitestOn(SKIPPING, false)).code).toBe(0);
  });

  it('passes a CI run where every test ran', async () => {
    expect((await vitestOn({ 'b.test.mjs': "it('runs', () => expect(2).toBe(2));\n" }, true)).code).toBe(0);
  });
});
