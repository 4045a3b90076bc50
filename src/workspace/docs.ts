import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MissionError } from '../core/index.js';
import { AGENTS_DIR, CHRONICLE_FILE, CONTEXT_FILE, DAILY_DIR, KANBAN_FILE, LEARNED_FILE, SOUL_FILE, WORKING_FILE } from './layout.js';

/**
 * The project documents members may read through `mission.doc.list/get` (SPEC §5, §11):
 * the board mirror, the chronicle, the project rules, daily logs and the agents' memory files.
 * Anything else in the scope (the project's own `src/`, archives) is not a document.
 */
export interface DocInfo {
  name: string;
  kind: 'kanban' | 'chronicle' | 'context' | 'daily' | 'soul' | 'working' | 'learned';
  size: number;
  modified_at: number;
}

const DOC_NAME = /^(?:KANBAN\.md|CHRONICLE\.md|\.context|daily\/\d{4}-\d{2}-\d{2}\.md|agents\/[a-z0-9][a-z0-9-]{0,39}\/(?:SOUL|working|learned)\.md)$/;

export function isDocName(name: unknown): name is string {
  return typeof name === 'string' && DOC_NAME.test(name);
}

export function assertDocName(name: unknown): string {
  if (!isDocName(name)) {
    throw new MissionError('PATH_OUTSIDE_SCOPE', 'Not a project document: KANBAN.md, CHRONICLE.md, .context, daily/<date>.md or agents/<soul>/{SOUL,working,learned}.md', {
      name: typeof name === 'string' ? name.slice(0, 200) : typeof name,
    });
  }
  return name;
}

export function docKind(name: string): DocInfo['kind'] {
  if (name === KANBAN_FILE) return 'kanban';
  if (name === CHRONICLE_FILE) return 'chronicle';
  if (name === CONTEXT_FILE) return 'context';
  if (name.startsWith(`${DAILY_DIR}/`)) return 'daily';
  if (name.endsWith(`/${SOUL_FILE}`)) return 'soul';
  if (name.endsWith(`/${WORKING_FILE}`)) return 'working';
  return 'learned';
}

async function fileInfo(root: string, name: string): Promise<DocInfo | null> {
  const info = await stat(path.join(root, name)).catch(() => undefined);
  if (!info?.isFile()) return null;
  return { name, kind: docKind(name), size: info.size, modified_at: Math.floor(info.mtimeMs) };
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/** Lists the documents that exist in a project folder, in a stable order. */
export async function listProjectDocs(root: string): Promise<DocInfo[]> {
  const candidates = [KANBAN_FILE, CHRONICLE_FILE, CONTEXT_FILE];
  for (const day of (await names(path.join(root, DAILY_DIR))).sort().reverse()) candidates.push(`${DAILY_DIR}/${day}`);
  for (const soul of (await names(path.join(root, AGENTS_DIR))).sort()) {
    for (const file of [SOUL_FILE, WORKING_FILE, LEARNED_FILE]) candidates.push(`${AGENTS_DIR}/${soul}/${file}`);
  }
  const docs: DocInfo[] = [];
  for (const name of candidates.filter(isDocName)) {
    const info = await fileInfo(root, name);
    if (info) docs.push(info);
  }
  return docs;
}
