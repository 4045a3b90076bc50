import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { ChildOutput, exitOf, spawnTs, stopChild } from '../support/child.js';
import { startNatsServer, type NatsServerHandle } from '../support/nats.js';

/**
 * `serve --nats URL`: issue 4 §7 spells the NATS flag `--nats`; it is an alias of `--nats-url`.
 * A real `serve` child joins a real nats-server through it.
 */
const CLI = 'src/cli/main.ts';
let nats: NatsServerHandle;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'mc-serve-nats-'));
});

afterAll(async () => {
  for (const c of children.splice(0)) await stopChild(c);
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve --nats', () => {
  it('starts the gateway role on NATS with `--role gateway --nats URL`', async () => {
    const dataDir = join(dir, 'gw');
    // A gateway never migrates (its runtime does): prepare the database as a runtime would.
    expect(await main(['migrate', 'up', '--data-dir', dataDir], { out: () => undefined, err: () => undefined })).toBe(0);
    const child = spawnTs(CLI, ['serve', '--role', 'gateway', '--nats', nats.url, '--port', '0', '--log-level', 'info', '--data-dir', dataDir], { MC_DEMO: '' });
    children.push(child);
    const line = await new ChildOutput(child).waitFor(/listening on http/);
    expect(JSON.parse(line)).toMatchObject({ role: 'gateway', bus: 'nats' });
  }, 60_000);

  it('refuses --nats and --nats-url naming different servers with exit code 2', async () => {
    const child = spawnTs(CLI, ['serve', '--nats', nats.url, '--nats-url', 'nats://127.0.0.1:1', '--port', '0', '--data-dir', join(dir, 'both')]);
    children.push(child);
    const output = new ChildOutput(child);
    expect(await exitOf(child)).toBe(2);
    expect(output.text).toContain('--nats and --nats-url name different servers');
  }, 60_000);

  it('documents --nats in the help of serve', async () => {
    const lines: string[] = [];
    expect(await main(['serve', '--help'], { out: (l) => lines.push(l) })).toBe(0);
    expect(lines.join('\n')).toMatch(/--nats <url>\s+the same as --nats-url/);
  });
});
