import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableAppend } from '../../src/workspace/index.js';

/**
 * The daily log is appended to (durableAppend). On a real, nearly full tmpfs (mounted as root,
 * as in faults-disk.test.ts) an append that does not fit must fail with DISK_FULL and leave the
 * file exactly as it was: no half entry that the next append would continue.
 */
let mountPoint = '';

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs and must run as root (CI runs as root)');
  mountPoint = mkdtempSync(join(tmpdir(), 'mc-append-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mountPoint]);
});

afterAll(() => {
  if (!mountPoint) return;
  try {
    execFileSync('umount', [mountPoint]);
  } catch {
    // not mounted (the mount failed)
  }
  rmSync(mountPoint, { recursive: true, force: true });
});

describe('durableAppend on a full disk', () => {
  it('fails with DISK_FULL and cuts the file back to where it was; appends that fit go on after it', async () => {
    const log = join(mountPoint, 'daily.md');
    writeFileSync(log, '# Daily log\n');
    await durableAppend(log, '\n## 09:00 entry one\n');
    const before = readFileSync(log, 'utf8');
    // Most of the space taken by another file: the next big entry can only be written in part.
    writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(160 * 1024, 'f'));
    const entry = `\n## 09:01 entry two\n${'x'.repeat(200 * 1024)}\n`;
    await expect(durableAppend(log, entry)).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(readFileSync(log, 'utf8')).toBe(before);

    await durableAppend(log, '\n## 09:02 entry three\n');
    expect(readFileSync(log, 'utf8')).toBe(`${before}\n## 09:02 entry three\n`);
  });
});
