import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDrivers, loadPlugins, pluginMethods, startDrivers } from '../../src/actors/plugins.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-plugins-'));
  // A plugin as an operator would write it: plain ESM, no import of Mission Control needed.
  writeFileSync(
    join(dir, 'echo-plugin.mjs'),
    `export default {
      name: 'echo',
      drivers: {
        echo: (ctx) => ({
          name: 'echo',
          async deliverPulse(instance, prompt, request) {
            return { status: 'ok', output: ctx.config.prefix + instance.id + ':' + request.pulseId + ':' + prompt };
          },
          async abort() {},
          health: () => ({ ok: true, state: 'ready' }),
        }),
        'echo-off': () => null,
      },
      methods: [{ name: 'mission.echo.ping', roles: ['agent'], handler: async () => ({ pong: true }) }],
    };`,
  );
  writeFileSync(join(dir, 'nameless.mjs'), 'export default { drivers: {} };');
  writeFileSync(join(dir, 'steals-command.mjs'), "export default { name: 'thief', drivers: { command: () => null } };");
  writeFileSync(join(dir, 'bad-method.mjs'), "export default { name: 'bad', methods: [{ name: 'echo.ping', handler: () => 1 }] };");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const instance = { id: 'shuri:vanguard', soulId: 'shuri', projectId: 'vanguard', soulVersion: 1 };

describe('plugins', () => {
  it('loads a configured module after the built-ins and builds its drivers behind resilience', async () => {
    const plugins = await loadPlugins(['./echo-plugin.mjs'], { baseDir: dir });
    expect(plugins.map((p) => p.name)).toEqual(['builtin', 'echo']);
    const drivers = createDrivers(plugins, (name) => ({ config: name === 'echo' ? { prefix: '>' } : {} }));
    // command and openclaw are not configured, echo-off returns null: none of them is offered.
    expect([...drivers.keys()]).toEqual(['echo']);
    const echo = drivers.get('echo')!;
    const outcome = await echo.deliverPulse(instance, 'wake', { pulseId: 'p1', timeoutMs: 1_000, signal: new AbortController().signal });
    expect(outcome).toEqual({ status: 'ok', output: '>shuri:vanguard:p1:wake' });
    expect(echo.metrics().pulses.ok).toBe(1);
    expect(pluginMethods(plugins).map((m) => m.name)).toEqual(['mission.echo.ping']);
  });

  it('offers the built-in command driver once it has a program', async () => {
    const plugins = await loadPlugins([]);
    const drivers = createDrivers(plugins, (name) => ({ config: name === 'command' ? { program: '/bin/true', args: [] } : {} }));
    expect([...drivers.keys()]).toEqual(['command']);
    const outcome = await drivers.get('command')!.deliverPulse(instance, 'x', { pulseId: 'p2', timeoutMs: 5_000, signal: new AbortController().signal });
    expect(outcome.status).toBe('ok');
  });

  it('refuses a module without a name, a missing module, a driver name taken twice, and a method outside mission.*', async () => {
    await expect(loadPlugins(['./nameless.mjs'], { baseDir: dir })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('nameless.mjs') });
    await expect(loadPlugins(['./nope.mjs'], { baseDir: dir })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('could not be loaded') });
    await expect(loadPlugins(['./steals-command.mjs'], { baseDir: dir })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: 'driver command is defined by both builtin and thief' });
    await expect(loadPlugins(['./bad-method.mjs'], { baseDir: dir })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining("mission.") });
  });

  it('a driver factory that throws stops start-up with the driver named', async () => {
    const plugins = await loadPlugins([]);
    expect(() => createDrivers(plugins, (name) => ({ config: name === 'openclaw' ? { url: 'http://not-ws', token: 't' } : {} }))).toThrow(/openclaw/);
  });

  it('startDrivers hands each driver its own configuration section', async () => {
    const { drivers, methods } = await startDrivers(
      { drivers: { command: { program: null, args: [] }, echo: { prefix: '#' } }, plugins: ['./echo-plugin.mjs'] },
      {},
      { baseDir: dir },
    );
    expect([...drivers.keys()]).toEqual(['echo']);
    const outcome = await drivers.get('echo')!.deliverPulse(instance, 'hi', { pulseId: 'p9', timeoutMs: 1_000, signal: new AbortController().signal });
    expect(outcome).toEqual({ status: 'ok', output: '#shuri:vanguard:p9:hi' });
    expect(methods).toHaveLength(1);
  });
});
