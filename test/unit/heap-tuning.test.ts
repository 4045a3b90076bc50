import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heapFlagsInEffect, missingHeapFlags, V8_HEAP_FLAGS } from '../../src/app/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** The young generation the server is launched with (src/app/heap-tuning.ts): 64 MiB semi-spaces. */
const FLAG = '--max-semi-space-size=64';

describe('V8 heap flags (src/app/heap-tuning.ts)', () => {
  it('sets a 64 MiB semi-space', () => {
    expect(V8_HEAP_FLAGS).toEqual([FLAG]);
  });

  it('finds the flag on the command line or in NODE_OPTIONS, under either spelling, with any value', () => {
    expect(missingHeapFlags([], '')).toEqual([FLAG]);
    expect(missingHeapFlags(['--import', 'tsx'], '--enable-source-maps')).toEqual([FLAG]);
    expect(missingHeapFlags([FLAG], '')).toEqual([]);
    expect(missingHeapFlags([], `--trace-warnings ${FLAG}`)).toEqual([]);
    expect(missingHeapFlags(['--max_semi_space_size=32'], '')).toEqual([]);
    // Another flag that only starts alike is not it.
    expect(missingHeapFlags(['--max-semi-space-size-extra=1'], '')).toEqual([FLAG]);
    expect(heapFlagsInEffect(['--expose-gc', '--max_semi_space_size=32'], `${FLAG} --no-warnings`)).toEqual(['--max_semi_space_size=32', FLAG]);
  });

  it('is passed by every launcher shipped: npm start, the systemd unit and npm run bench:runtime', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    // The flag goes to node itself, before the script it runs.
    expect(scripts.start).toMatch(new RegExp(`\\bnode ${FLAG} dist/src/cli/main\\.js serve\\b`));
    expect(scripts['bench:runtime']).toMatch(new RegExp(`^node ${FLAG} --import tsx bench/runtime\\.bench\\.ts$`));
    const unit = readFileSync(join(ROOT, 'ops', 'mission-control.service'), 'utf8');
    expect(unit).toMatch(new RegExp(`^ExecStart=/usr/bin/node ${FLAG} /opt/mission-control/dist/src/cli/main\\.js serve\\b`, 'm'));
  });

  it('takes effect: a node started with the flag lets its young generation grow past the default 16 MiB semi-space', async () => {
    const { spawnSync } = await import('node:child_process');
    // Allocates short-lived garbage with some survivors; reports the largest new-space size seen.
    const script = `const v8 = require('node:v8'); let keep = [], max = 0;
      for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 2e5) keep = [];
        if (i % 1e5 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size); }
      console.log(max);`;
    const newSpace = (flags: string[]): number => Number(spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }).stdout.trim());
    expect(newSpace([])).toBeLessThanOrEqual(2 * 16 * 2 ** 20);
    expect(newSpace([FLAG])).toBeGreaterThan(2 * 16 * 2 ** 20);
  });
});
