#!/usr/bin/env node
// `npm test`: check the real components the suite starts (nats-server, Chromium), then run vitest
// with the default reporter plus the no-skip reporter, and exit with vitest's code.
import process from 'node:process';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as os } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function onPath(cmd) {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return join(dir, cmd);
    } catch {
      // not here
    }
  }
  return null;
}

const CHROMIUM = '/usr/bin/chromium';
const prerequisites = [
  { what: 'nats-server', aptPackage: 'nats-server', present: () => onPath('nats-server') !== null },
  {
    what: CHROMIUM,
    aptPackage: 'chromium',
    present: () => {
      try {
        accessSync(CHROMIUM, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
  },
];

function missing() {
  return prerequisites.filter((p) => !p.present());
}

let absent = missing();
if (absent.length > 0) {
  const packages = absent.map((p) => p.aptPackage);
  const isRoot = process.getuid?.() === 0;
  if (isRoot && onPath('apt-get')) {
    process.stderr.write(`test: installing ${packages.join(', ')} with apt-get\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
    absent = missing();
  }
  if (absent.length > 0) {
    process.stderr.write(`test: missing ${absent.map((p) => p.what).join(' and ')}; the tests start the real programs.\n`);
    process.stderr.write(`Install them with:\n  sudo apt-get update && sudo apt-get install -y ${absent.map((p) => p.aptPackage).join(' ')}\n`);
    process.exit(1);
  }
}

const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const child = spawn(
  process.execPath,
  [vitest, 'run', '--reporter=./test/support/no-skip-reporter.ts', '--reporter=default', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? (os.signals[signal] ?? 0) : 1)));
