import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MALLOC_TUNING, missingMallocTuning, onGlibc } from '../../src/app/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** glibc's documented starting values of M_MMAP_THRESHOLD and M_TRIM_THRESHOLD (mallopt(3)): 128 KiB. */
const GLIBC_START = String(128 * 1024);
const NAMES = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_'];

describe('glibc malloc tuning (src/app/malloc-tuning.ts)', () => {
  it('fixes both thresholds at glibc starting values', () => {
    expect(MALLOC_TUNING).toEqual(Object.fromEntries(NAMES.map((n) => [n, GLIBC_START])));
  });

  it('names the settings a glibc environment lacks, and none on another allocator', () => {
    expect(missingMallocTuning({}, true)).toEqual(NAMES);
    expect(missingMallocTuning({ MALLOC_TRIM_THRESHOLD_: '65536', MALLOC_MMAP_THRESHOLD_: '' }, true)).toEqual(['MALLOC_MMAP_THRESHOLD_']);
    expect(missingMallocTuning({ MALLOC_TRIM_THRESHOLD_: '1', MALLOC_MMAP_THRESHOLD_: '1' }, true)).toEqual([]);
    expect(missingMallocTuning({}, false)).toEqual([]);
  });

  it('tells glibc from other C libraries as getconf does', () => {
    const glibc = ((): boolean => {
      try {
        return /^glibc \d/.test(execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' }));
      } catch {
        return false; // musl's getconf has no GNU_LIBC_VERSION
      }
    })();
    expect(onGlibc()).toBe(glibc);
  });

  it('is set by every launcher shipped: npm start and the systemd unit', () => {
    const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
    const unit = readFileSync(join(ROOT, 'ops', 'mission-control.service'), 'utf8');
    for (const name of NAMES) {
      // npm start: NAME=${NAME:-value} before node (the operator's own value wins).
      const fromStart = new RegExp(`(?:^| )${name}=\\$\\{${name}:-(\\d+)\\} .*\\bnode `).exec(start);
      expect(fromStart?.[1], `${name} in npm start: ${start}`).toBe(GLIBC_START);
      const fromUnit = new RegExp(`^Environment=${name}=(\\d+)$`, 'm').exec(unit);
      expect(fromUnit?.[1], `${name} in ops/mission-control.service`).toBe(GLIBC_START);
    }
  });
});
