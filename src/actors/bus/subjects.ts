import { MissionError, assertSubjectToken } from '../../core/index.js';

/**
 * The subject space of DESIGN "Bus and subjects", and the only place subjects are spelled out.
 * Every id that becomes a token passes `assertSubjectToken`: a dot would add a token and a `*`
 * or `>` would turn a literal subject into a wildcard, silently widening who receives it.
 */
export const SUBJECT_ROOT = 'mc';
/** The token reserved for node-level subjects (`mc.sys.>`); it can never be a project's token. */
export const SYS_TOKEN = 'sys';

export type CommandTargetKind = 'task' | 'agent' | 'project';
export type SnapshotKind = 'task' | 'agent';

function project(projectId: string): string {
  assertSubjectToken(projectId, 'project_id');
  if (projectId === SYS_TOKEN) {
    // A project named "sys" would share `mc.sys.>` with node presence and leases.
    throw new MissionError('INVALID_INPUT', `"${SYS_TOKEN}" is reserved and cannot be a project id on the bus`, { project_id: projectId });
  }
  return `${SUBJECT_ROOT}.${projectId}`;
}

/** Request/reply command to a task actor. */
export function cmdTask(projectId: string, taskId: string): string {
  return `${project(projectId)}.cmd.task.${assertSubjectToken(taskId, 'task_id')}`;
}

/** Request/reply command to the instance `<soulId>:<projectId>`. */
export function cmdAgent(projectId: string, soulId: string): string {
  return `${project(projectId)}.cmd.agent.${assertSubjectToken(soulId, 'soul_id')}`;
}

/** Request/reply command to the project actor. */
export function cmdProject(projectId: string): string {
  return `${project(projectId)}.cmd.project`;
}

/** Committed domain events of one project (JSON CommittedEvent[], header `seq`). */
export function events(projectId: string): string {
  return `${project(projectId)}.evt`;
}

/** Actor snapshots for the inspector. */
export function snapshot(projectId: string, kind: SnapshotKind, id: string): string {
  if (kind !== 'task' && kind !== 'agent') {
    throw new MissionError('INVALID_INPUT', "snapshot kind must be 'task' or 'agent'", { kind });
  }
  return `${project(projectId)}.snap.${kind}.${assertSubjectToken(id, 'actor_id')}`;
}

/** Messages and notifications to one agent instance. */
export function inbox(projectId: string, soulId: string): string {
  return `${project(projectId)}.inbox.${assertSubjectToken(soulId, 'soul_id')}`;
}

/** Node-level subjects: `sys('presence', nodeId)` → `mc.sys.presence.<nodeId>`. */
export function sys(...tokens: string[]): string {
  if (tokens.length === 0) throw new MissionError('INVALID_INPUT', 'sys() needs at least one token');
  return [SUBJECT_ROOT, SYS_TOKEN, ...tokens.map((t) => assertSubjectToken(t, 'token'))].join('.');
}

/** Commands that name no project (souls are global); served by the same runtime queue group. */
export function cmdSys(family: string): string {
  return sys('cmd', family);
}

/** Everything of one project: what a credential confined to that project may see. */
export function projectWildcard(projectId: string): string {
  return `${project(projectId)}.>`;
}

/** What the runtime serves: every command of every project (and `mc.sys.cmd.*`). */
export const ALL_COMMANDS = `${SUBJECT_ROOT}.*.cmd.>`;
/** What a gateway listens to: committed events of every project. */
export const ALL_EVENTS = `${SUBJECT_ROOT}.*.evt`;

export type ParsedSubject =
  | { kind: 'command'; projectId: string; target: CommandTargetKind; id: string | null }
  | { kind: 'sys-command'; family: string }
  | { kind: 'events'; projectId: string }
  | { kind: 'snapshot'; projectId: string; actorKind: SnapshotKind; id: string }
  | { kind: 'inbox'; projectId: string; soulId: string }
  | { kind: 'sys'; tokens: string[] };

/** Reads a concrete subject back into its parts; null when it is not one of ours. */
export function parseSubject(subject: string): ParsedSubject | null {
  const t = subject.split('.');
  if (t[0] !== SUBJECT_ROOT || t.length < 3 || t.some((x) => !/^[A-Za-z0-9_-]+$/.test(x))) return null;
  const p = t[1]!;
  if (p === SYS_TOKEN) {
    if (t[2] === 'cmd' && t.length === 4) return { kind: 'sys-command', family: t[3]! };
    return { kind: 'sys', tokens: t.slice(2) };
  }
  const [, , kind, a, b] = t;
  if (kind === 'cmd' && t.length === 4 && a === 'project') return { kind: 'command', projectId: p, target: 'project', id: null };
  if (kind === 'cmd' && t.length === 5 && (a === 'task' || a === 'agent')) return { kind: 'command', projectId: p, target: a, id: b! };
  if (kind === 'evt' && t.length === 3) return { kind: 'events', projectId: p };
  if (kind === 'snap' && t.length === 5 && (a === 'task' || a === 'agent')) return { kind: 'snapshot', projectId: p, actorKind: a, id: b! };
  if (kind === 'inbox' && t.length === 4) return { kind: 'inbox', projectId: p, soulId: a! };
  return null;
}
