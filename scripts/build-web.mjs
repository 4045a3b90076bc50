#!/usr/bin/env node
// `npm run build:web`: build the React app with Vite; skip cleanly only while web/ has no Vite config.
import process from 'node:process';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const config = ['vite.config.ts', 'vite.config.mts', 'vite.config.js', 'vite.config.mjs']
  .map((name) => join(root, 'web', name))
  .find((file) => existsSync(file));
if (!config) {
  process.stdout.write('build:web: web/ has no vite config yet; nothing to build\n');
  process.exit(0);
}
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const result = spawnSync(process.execPath, [vite, 'build', '--config', config], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
