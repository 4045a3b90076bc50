import { randomBytes } from 'node:crypto';
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { MissionError } from '../core/index.js';

/** Prefix of atomic-write temporaries; the jail refuses it so no one addresses them by name. */
export const TEMP_PREFIX = '.tmp-';

function diskError(err: unknown, file: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new MissionError('DISK_FULL', undefined, { path: file });
  return err;
}

/** fsync a directory so a rename in it survives a power loss. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` with `content` so that a reader (or a crash, even SIGKILL mid-write) sees
 * either the old file or the new one, never a mix: write `.tmp-<rand>` in the same directory,
 * fsync it, rename it over the target, fsync the directory.
 */
export async function atomicWrite(file: string, content: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  let renamed = false;
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    renamed = true;
    await syncDirectory(dir);
  } catch (err) {
    if (!renamed) await unlink(tmp).catch(() => undefined);
    throw diskError(err, file);
  }
}

/**
 * Appends to an existing file and fsyncs it: O(what is appended), where a rewrite of a growing
 * log costs O(file) in time and memory per entry. For append-only logs (daily/). An append that
 * fails (disk full, I/O error) is cut off again, so the file ends where it did before, not in
 * half an entry; earlier entries are never touched. Only a crash of the machine during the write
 * can still leave the last entry short (a killed process completes its write call).
 */
export async function durableAppend(file: string, content: string): Promise<void> {
  try {
    const handle = await open(file, 'a');
    let before: number | undefined;
    try {
      before = (await handle.stat()).size;
      await handle.writeFile(content);
      await handle.sync();
    } catch (err) {
      if (before !== undefined) await handle.truncate(before).catch(() => undefined);
      throw err;
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw diskError(err, file);
  }
}

/**
 * Removes temporaries left by writers that were killed between open and rename. Only old ones:
 * a young temporary may belong to a live writer in another process about to rename it.
 */
export async function sweepTemporaries(dir: string, olderThanMs = 60_000, now = Date.now()): Promise<number> {
  let removed = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && now - info.mtimeMs >= olderThanMs) {
      await unlink(file).then(
        () => removed++,
        () => undefined,
      );
    }
  }
  return removed;
}
