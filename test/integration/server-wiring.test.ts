import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { rpc, signIn, unwrap } from '../../bench/lib/mission-client.js';
import { ADMIN, startServerProcess, type ServerProcess } from '../../bench/lib/server-process.js';
import { databaseFile, openDatabase } from '../../src/store/index.js';
import { processRunning } from '../support/proc.js';

/**
 * What the composition root (src/app/server.ts) wires between the parts, checked on a real
 * `mission-control serve` process: agent process groups recorded by the runtime (so a restart
 * ends what a crashed server left), and plugin methods served by the gateway's registry.
 */
let dir = '';
const procs: ServerProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0).reverse()) await p.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function waitFor(probe: () => boolean, ms: number, what: string): Promise<void> {
  for (const until = Date.now() + ms; !probe(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('server wiring', () => {
  it('records a command agent’s process group, and the next start ends the group a killed server left', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-wiring-'));
    const dataDir = join(dir, 'data');
    const pidFile = join(dir, 'agent.pid');
    const script = join(dir, 'agent.sh');
    // The agent outlives its server: it sleeps far past any deadline in this test.
    writeFileSync(script, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 600\n`);
    chmodSync(script, 0o755);
    const env = { MC_DRIVERS_COMMAND_PROGRAM: script };
    const first = await startServerProcess({ dataDir, env });
    procs.push(first);
    const token = await signIn(first.url, ADMIN.username, ADMIN.password);
    unwrap(await rpc(first.url, token, 'mission.soul.create', { soul_id: 'shuri', name: 'Shuri' }));
    const settings = { driver: 'command', pulse_interval: 3600, pulse_timeout: 600, deadman_timeout: 7800 };
    unwrap(await rpc(first.url, token, 'mission.project.init', { project_name: 'Lab', project_id: 'lab', base_id: ['shuri'], settings }));
    unwrap(await rpc(first.url, token, 'mission.agent.pulse_now', { instance_id: 'shuri:lab' }));
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 15_000, 'the agent program');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(processRunning(pid)).toBe(true);
    const pgidOf = (): number | null => {
      const db = openDatabase(databaseFile(dataDir), { readonly: true });
      try {
        return (db.prepare(`SELECT pgid FROM agent_instances WHERE id = 'shuri:lab'`).get() as { pgid: number | null }).pgid;
      } finally {
        db.close();
      }
    };
    await waitFor(() => pgidOf() === pid, 5_000, 'the process group on the agent row'); // own group: pgid = pid

    await first.kill(); // SIGKILL: no shutdown, the agent keeps running
    procs.pop();
    expect(processRunning(pid)).toBe(true);

    const second = await startServerProcess({ dataDir, env });
    procs.push(second);
    await waitFor(() => !processRunning(pid), 10_000, 'the orphaned agent to end');
    expect(second.logLines(/process group left by a previous run/)).toHaveLength(1);
    // The cut pulse is delivered again (at least once): a new run, whose group is recorded instead.
    const rerun = (): number => Number(readFileSync(pidFile, 'utf8').trim() || '0');
    await waitFor(() => rerun() !== pid && rerun() > 0 && pgidOf() === rerun(), 10_000, 'the re-delivered pulse’s group');
    expect(await second.stop()).toBe(0);
    procs.pop();
    // A graceful stop ends its agents’ runs and forgets their groups.
    expect(processRunning(rerun())).toBe(false);
    expect(pgidOf()).toBeNull();
  }, 60_000);

  it('serves a plugin’s mission method through the registry, with its params checked', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-wiring-'));
    const zod = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;
    const plugin = join(dir, 'echo-plugin.mjs');
    writeFileSync(
      plugin,
      `import { z } from '${zod}';
export default {
  name: 'echo',
  methods: [{
    name: 'mission.echo.say',
    aliases: [],
    description: 'Says the text back.',
    params: z.object({ text: z.string().max(10) }).strict(),
    result: z.object({ said: z.string() }),
    roles: ['owner', 'member', 'viewer'],
    sideEffect: false,
    project: () => null,
    handler: (p) => ({ said: p.text.toUpperCase() }),
  }],
};
`,
    );
    const server = await startServerProcess({ dataDir: join(dir, 'data'), env: { MC_PLUGINS: plugin } });
    procs.push(server);
    const token = await signIn(server.url, ADMIN.username, ADMIN.password);
    expect(unwrap(await rpc(server.url, token, 'mission.echo.say', { text: 'hello' }))).toEqual({ said: 'HELLO' });
    const bad = await rpc(server.url, token, 'mission.echo.say', { text: 'far too long a text' });
    expect(bad.error?.code).toBe(-32602); // JSON-RPC "Invalid params", naming the field
    expect(JSON.stringify(bad.error?.data)).toContain('"path":["text"]');
    const anonymous = await rpc(server.url, 'not-a-token', 'mission.echo.say', { text: 'hi' });
    expect(anonymous.status).toBe(401);
    expect(await server.stop()).toBe(0);
    procs.pop();
  }, 60_000);

  it('refuses to start with a plugin method that lacks what the registry needs, naming it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-wiring-'));
    const plugin = join(dir, 'bad-plugin.mjs');
    writeFileSync(plugin, `export default { name: 'bad', methods: [{ name: 'mission.bad.call', handler: () => 1 }] };\n`);
    await expect(startServerProcess({ dataDir: join(dir, 'data'), env: { MC_PLUGINS: plugin } })).rejects.toThrow(/CONFIG_INVALID[\s\S]*plugin method mission\.bad\.call/);
  }, 60_000);

  it('refuses a plugin method that takes a built-in name', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-wiring-'));
    const plugin = join(dir, 'clash-plugin.mjs');
    const zod = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;
    writeFileSync(
      plugin,
      `import { z } from '${zod}';
export default { name: 'clash', methods: [{ name: 'mission.task.create', description: 'x', params: z.object({}), result: z.object({}), roles: [], sideEffect: false, project: () => null, handler: () => ({}) }] };
`,
    );
    await expect(startServerProcess({ dataDir: join(dir, 'data'), env: { MC_PLUGINS: plugin } })).rejects.toThrow(/duplicate mission method name mission\.task\.create/);
  }, 60_000);
});
