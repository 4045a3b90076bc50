import { MissionError } from '../core/index.js';

/**
 * Who touches a project file (SPEC §7). Agents are confined to their own zone among
 * `agents/*` and never write the server-owned files; humans (already authorised by the
 * gateway's roles) may touch anything inside the scope.
 */
export type FileActor = { kind: 'agent'; soulId: string } | { kind: 'human' };

export type FileAccess = 'read' | 'write' | 'list' | 'delete';

/** Files the server is the only writer of (KANBAN.md, CHRONICLE.md) or that hold fixed rules. */
export const SERVER_OWNED_FILES = ['KANBAN.md', 'CHRONICLE.md', '.context'] as const;

const SERVER_OWNED_LOWER = new Set(SERVER_OWNED_FILES.map((f) => f.toLowerCase()));

function forbidden(relative: string, reason: string): never {
  throw new MissionError('PATH_OUTSIDE_SCOPE', `Path refused: ${reason}`, { path: relative, reason });
}

/** Throws PATH_OUTSIDE_SCOPE when `actor` may not perform `access` on the canonical `segments`. */
export function checkAccess(actor: FileActor, access: FileAccess, segments: readonly string[]): void {
  const relative = segments.join('/');
  if ((access === 'write' || access === 'delete') && segments.length === 0) forbidden(relative, 'the project root itself');
  if (actor.kind === 'human') return;
  const [first, second] = segments;
  if (first === undefined) return; // listing the root
  if (access === 'write' || access === 'delete') {
    // Compared case-insensitively: a look-alike `kanban.md` next to the real one misleads readers.
    if (segments.length === 1 && SERVER_OWNED_LOWER.has(first.toLowerCase())) forbidden(relative, `${first} is written by the server only`);
    if (first === 'agents' && segments.length === 1) forbidden(relative, 'the agents folder itself');
    if (first === 'daily' && segments.length <= 2) forbidden(relative, 'daily logs are written by the server only');
  }
  if (first === 'agents' && second !== undefined && second !== actor.soulId) {
    forbidden(relative, "another agent's private zone");
  }
}
