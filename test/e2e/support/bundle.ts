import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built web app as the browser receives it, read from web/dist: the Vite manifest (which
 * emitted file comes from which entry, asset or chunk) and each chunk's source map (which modules
 * were bundled into it). Tests use it to say which modules a page actually downloaded.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WEB = join(ROOT, 'web');
const DIST = join(WEB, 'dist');

interface ManifestChunk {
  file: string;
  src?: string;
  assets?: string[];
}

export interface WebBundle {
  /** The script the HTML entry loads, as served (`/assets/index-….js`). */
  entry: string;
  /** Whether the manifest lists this served path (`/assets/…`) as a chunk or an asset. */
  lists(servedPath: string): boolean;
  /** The modules bundled into a served file, as paths from the repository root (`node_modules/…`). */
  modulesOf(servedPath: string): string[];
}

export function readWebBundle(): WebBundle {
  const manifestFile = join(DIST, '.vite/manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`no Vite manifest at ${manifestFile}: build the web app (build.manifest in web/vite.config.ts)`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, ManifestChunk>;
  const chunks = Object.values(manifest);
  const entry = manifest['index.html'];
  if (!entry) throw new Error('the Vite manifest has no index.html entry');
  const fromRoot = (base: string, path: string): string => relative(ROOT, resolve(base, path.replace(/\?.*$/, '')));
  const served = (file: string): string => `/${file}`;

  return {
    entry: served(entry.file),
    lists: (path) => chunks.some((c) => served(c.file) === path || (c.assets ?? []).some((a) => served(a) === path)),
    modulesOf(path) {
      const file = join(DIST, path);
      // A copied asset (the ELK worker) has no source map: the manifest names its source.
      const modules = chunks.filter((c) => served(c.file) === path && c.src).map((c) => fromRoot(WEB, c.src!));
      if (existsSync(`${file}.map`)) {
        const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
        modules.push(...map.sources.map((source) => fromRoot(dirname(file), source)));
      }
      return [...new Set(modules)];
    },
  };
}
