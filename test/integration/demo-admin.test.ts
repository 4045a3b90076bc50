import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/app/index.js';
import { ConfigSource } from '../../src/config/index.js';

/** The demo's printed sign-in must sign in: a real server on a real data directory, started twice. */
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

async function serve(dataDir: string, demo: boolean, env: Record<string, string> = {}): Promise<{ server: Awaited<ReturnType<typeof startServer>>; log: () => { level: number; msg: string }[] }> {
  const source = new ConfigSource({ flags: { data_dir: dataDir, host: '127.0.0.1', port: '0', demo, 'backups.enabled': 'false' }, env, configFile: null });
  let text = '';
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((text += chunk.toString('utf8')), done()) });
  const server = await startServer(source.current, { logger: pino({ level: 'info' }, sink), config: source });
  return { server, log: () => text.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

async function signsIn(url: string, username: string, password: string): Promise<boolean> {
  const res = await fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return res.ok;
}

describe('the demo administrator', () => {
  it('prints a password that signs in, kept in demo-admin.txt across restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mc-demo-admin-'));
    dirs.push(dataDir);
    const first = await serve(dataDir, true);
    const printed = first.server.demo!.password!;
    expect(await signsIn(first.server.url, 'admin', printed)).toBe(true);
    expect(readFileSync(join(dataDir, 'demo-admin.txt'), 'utf8').trim()).toBe(`admin:${printed}`);
    await first.server.close();
    const second = await serve(dataDir, true);
    expect(second.server.demo!.password).toBe(printed);
    expect(second.log().some((l) => l.msg.includes(`as admin / ${printed}`))).toBe(true);
    await second.server.close();
  }, 60_000);

  it('prints no password for an admin that existed before the demo, and keeps none in the data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mc-demo-admin-'));
    dirs.push(dataDir);
    const plain = await serve(dataDir, false, { MC_ADMIN: 'admin:own-password-1' });
    await plain.server.close();
    const demo = await serve(dataDir, true);
    expect(demo.server.demo!.password).toBeNull();
    expect(existsSync(join(dataDir, 'demo-admin.txt'))).toBe(false);
    const said = demo.log().find((l) => l.msg.startsWith('demo squad'))!;
    expect(said).toMatchObject({ level: 40 });
    expect(said.msg).toContain('as admin with its own password');
    expect(await signsIn(demo.server.url, 'admin', 'own-password-1')).toBe(true);
    await demo.server.close();
  }, 60_000);
});
