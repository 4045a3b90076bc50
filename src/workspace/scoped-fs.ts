import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { MissionError } from '../core/index.js';
import { checkAccess, type FileAccess, type FileActor } from './access.js';
import { atomicWrite, syncDirectory } from './atomic-write.js';
import { DEFAULT_JAIL_LIMITS, isReservedName, resolveInScope, type JailLimits, type ResolvedPath } from './jail.js';
import { AGENTS_DIR, contentVersion } from './layout.js';
import type { FileMutex } from './mutex.js';

/** `mission.fs.*` inside one project scope (SPEC §7): jailed, access-checked, versioned, atomic. */
export interface FileRead {
  path: string;
  content: string;
  version: string;
  size: number;
}

export interface FileWritten {
  path: string;
  version: string;
  size: number;
  created: boolean;
}

export interface FileEntry {
  name: string;
  path: string;
  kind: 'file' | 'dir' | 'other';
  size: number;
  modified_at: number;
}

export interface WriteOptions {
  /** The version the caller last read; `null` means "only if the file does not exist yet". */
  expected_version?: string | null;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

function notFound(relative: string): MissionError {
  return new MissionError('NOT_FOUND', `No such file: ${relative || '/'}`, { path: relative });
}

/** rmdir `from` and its parents up to and including `upTo`, stopping at the first non-empty one. */
async function removeEmptyChain(from: string, upTo: string): Promise<void> {
  for (let dir = from; dir.length >= upTo.length; dir = path.dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
    if (dir === upTo) return;
  }
}

export class ScopedFileSystem {
  constructor(
    private readonly root: string,
    private readonly mutex: FileMutex,
    private readonly maxFileBytes: number,
    private readonly limits: JailLimits = DEFAULT_JAIL_LIMITS,
  ) {}

  /** Access rules hold for the path as written and for where it physically leads. */
  private check(actor: FileActor, access: FileAccess, target: ResolvedPath): void {
    checkAccess(actor, access, target.segments);
    checkAccess(actor, access, target.physicalSegments);
  }

  private async resolve(input: unknown): Promise<ResolvedPath> {
    try {
      await stat(this.root);
    } catch {
      throw new MissionError('NOT_FOUND', 'The project has no folder yet', { scope: path.basename(this.root) });
    }
    return resolveInScope(this.root, input, this.limits);
  }

  async read(input: unknown, actor: FileActor): Promise<FileRead> {
    const target = await this.resolve(input);
    this.check(actor, 'read', target);
    return this.readResolved(target);
  }

  /** Reads a file already resolved in the scope; refuses directories and oversized files. */
  async readResolved(target: ResolvedPath): Promise<FileRead> {
    let handle;
    try {
      // O_NOFOLLOW: the path was realpath'd, so a symlink here was swapped in after the check.
      handle = await open(target.absolute, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') throw notFound(target.relative);
      if (errno(err) === 'ELOOP') throw new MissionError('PATH_OUTSIDE_SCOPE', 'Path refused: symlink', { path: target.relative });
      throw err;
    }
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new MissionError('INVALID_INPUT', `${target.relative || '/'} is a directory; use mission.fs.list`, { path: target.relative });
      if (info.size > this.maxFileBytes) {
        throw new MissionError('LIMIT_EXCEEDED', `File is ${info.size} bytes; the limit is ${this.maxFileBytes}`, { path: target.relative, limit: this.maxFileBytes });
      }
      const bytes = await handle.readFile();
      return { path: target.relative, content: bytes.toString('utf8'), version: contentVersion(bytes), size: bytes.length };
    } finally {
      await handle.close();
    }
  }

  async write(input: unknown, content: string, actor: FileActor, opts: WriteOptions = {}): Promise<FileWritten> {
    if (typeof content !== 'string') throw new MissionError('INVALID_INPUT', 'content must be a string');
    const bytes = Buffer.from(content, 'utf8');
    if (bytes.length > this.maxFileBytes) {
      throw new MissionError('LIMIT_EXCEEDED', `Content is ${bytes.length} bytes; the limit is ${this.maxFileBytes}`, { limit: this.maxFileBytes });
    }
    const planned = await this.resolve(input);
    this.check(actor, 'write', planned);
    const parent = path.dirname(planned.absolute);
    let firstCreated: string | undefined;
    try {
      firstCreated = await mkdir(parent, { recursive: true });
    } catch (err) {
      if (errno(err) === 'EEXIST' || errno(err) === 'ENOTDIR') throw new MissionError('INVALID_INPUT', 'A parent of this path is a file', { path: planned.relative });
      throw err;
    }
    try {
      return await this.mutex.withLock(planned.absolute, async () => {
        // Re-resolve under the lock: the parents exist now and are checked physically again.
        const target = await this.resolve(input);
        this.check(actor, 'write', target);
        const existed = await this.fileExists(target);
        if (opts.expected_version !== undefined) this.checkExpected(target.relative, existed ? await this.currentVersion(target) : null, opts);
        await atomicWrite(target.absolute, bytes);
        return { path: target.relative, version: contentVersion(bytes), size: bytes.length, created: !existed };
      });
    } catch (err) {
      // A refused write changes nothing: remove the folders it created (those still empty).
      if (firstCreated !== undefined) await removeEmptyChain(parent, firstCreated);
      throw err;
    }
  }

  async delete(input: unknown, actor: FileActor, opts: WriteOptions = {}): Promise<{ path: string; deleted: 'file' | 'dir' }> {
    const target = await this.resolve(input);
    this.check(actor, 'delete', target);
    // Operate on the link itself, not what it points to: resolve the parent, keep the last name.
    const parent = await this.resolve(target.segments.slice(0, -1).join('/'));
    const own = path.join(parent.absolute, target.segments[target.segments.length - 1]!);
    return this.mutex.withLock(own, async () => {
      let info;
      try {
        info = await lstat(own);
      } catch (err) {
        if (errno(err) === 'ENOENT') throw notFound(target.relative);
        throw err;
      }
      if (info.isDirectory()) {
        try {
          await rmdir(own);
        } catch (err) {
          if (errno(err) === 'ENOTEMPTY' || errno(err) === 'EEXIST') {
            throw new MissionError('CONFLICT', 'The directory is not empty; delete its files first', { path: target.relative });
          }
          throw err;
        }
      } else {
        if (opts.expected_version !== undefined) this.checkExpected(target.relative, await this.currentVersion({ ...target, absolute: own }), opts);
        await unlink(own);
      }
      await syncDirectory(parent.absolute);
      return { path: target.relative, deleted: info.isDirectory() ? 'dir' : 'file' };
    });
  }

  async list(input: unknown, actor: FileActor): Promise<{ path: string; entries: FileEntry[] }> {
    const target = await this.resolve(input ?? '');
    this.check(actor, 'list', target);
    let dirents;
    try {
      dirents = await readdir(target.absolute, { withFileTypes: true });
    } catch (err) {
      if (errno(err) === 'ENOENT') throw notFound(target.relative);
      if (errno(err) === 'ENOTDIR') throw new MissionError('INVALID_INPUT', `${target.relative} is a file; use mission.fs.read`, { path: target.relative });
      throw err;
    }
    const inAgents = target.segments.length === 1 && target.segments[0] === AGENTS_DIR;
    const entries: FileEntry[] = [];
    for (const d of dirents) {
      if (isReservedName(d.name)) continue;
      // Other agents' zones are theirs alone, even by name.
      if (inAgents && actor.kind === 'agent' && d.name !== actor.soulId) continue;
      const info = await lstat(path.join(target.absolute, d.name)).catch(() => undefined);
      if (!info) continue;
      entries.push({
        name: d.name,
        path: [...target.segments, d.name].join('/'),
        kind: info.isFile() ? 'file' : info.isDirectory() ? 'dir' : 'other',
        size: info.isFile() ? info.size : 0,
        modified_at: Math.floor(info.mtimeMs),
      });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { path: target.relative, entries };
  }

  private async fileExists(target: ResolvedPath): Promise<boolean> {
    try {
      const info = await lstat(target.absolute);
      if (info.isDirectory()) throw new MissionError('INVALID_INPUT', `${target.relative} is a directory`, { path: target.relative });
      return true;
    } catch (err) {
      if (errno(err) === 'ENOENT') return false;
      throw err;
    }
  }

  private async currentVersion(target: ResolvedPath): Promise<string | null> {
    let info;
    try {
      info = await lstat(target.absolute);
    } catch (err) {
      if (errno(err) === 'ENOENT') return null;
      throw err;
    }
    if (info.isDirectory()) throw new MissionError('INVALID_INPUT', `${target.relative} is a directory`, { path: target.relative });
    return (await this.readResolved(target)).version;
  }

  private checkExpected(relative: string, current: string | null, opts: WriteOptions): void {
    if (opts.expected_version === undefined) return;
    if (opts.expected_version !== current) {
      throw new MissionError('CONFLICT', 'The file changed since you read it; read it again and retry', {
        path: relative,
        expected_version: opts.expected_version,
        current_version: current,
      });
    }
  }
}
