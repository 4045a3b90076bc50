import { RpcError } from './errors.js';

/** The cookie session (SPEC §9): `/auth/login`, `/auth/logout`, `/auth/me`. */
export type MemberRole = 'owner' | 'member' | 'viewer';

/** `GET /auth/me` for a signed-in person, exactly as the gateway answers it. */
export interface Session {
  kind: 'user';
  id: number;
  username: string;
  is_admin: boolean;
  memberships: { project_id: string; role: MemberRole }[];
}

export async function fetchSession(): Promise<Session | null> {
  const res = await fetch('/auth/me', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401 || res.status === 403) return null;
  if (!res.ok) throw new RpcError('HTTP_' + res.status, `GET /auth/me → ${res.status}`);
  return toSession(await res.json());
}

const ROLES: readonly string[] = ['owner', 'member', 'viewer'] satisfies MemberRole[];

/**
 * Reads `{kind, id, username, is_admin, memberships}`. Only a person has a board: any other
 * principal (an agent or driver credential) is no session, and a body of another shape is a
 * broken server, reported rather than guessed at.
 */
export function toSession(body: unknown): Session | null {
  if (!body || typeof body !== 'object') throw new RpcError('BAD_RESPONSE', 'GET /auth/me: not a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.kind !== 'string') throw new RpcError('BAD_RESPONSE', 'GET /auth/me: no principal kind');
  if (b.kind !== 'user') return null;
  const memberships = Array.isArray(b.memberships) ? b.memberships : null;
  const valid =
    typeof b.id === 'number' &&
    typeof b.username === 'string' &&
    typeof b.is_admin === 'boolean' &&
    memberships?.every((m: unknown) => {
      const r = m as Record<string, unknown> | null;
      return !!r && typeof r.project_id === 'string' && typeof r.role === 'string' && ROLES.includes(r.role);
    });
  if (!valid) throw new RpcError('BAD_RESPONSE', 'GET /auth/me: unexpected shape');
  return { kind: 'user', id: b.id as number, username: b.username as string, is_admin: b.is_admin as boolean, memberships: memberships as Session['memberships'] };
}

export async function login(username: string, password: string): Promise<void> {
  const res = await fetch('/auth/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.ok) return;
  let message = `HTTP ${res.status}`;
  let code = res.status === 401 ? 'UNAUTHENTICATED' : 'HTTP_' + res.status;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } | string; message?: string };
    if (typeof body.error === 'object' && body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    } else if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: keep the status line
  }
  throw new RpcError(code, message);
}

export async function logout(): Promise<void> {
  await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
}

export type Capability = 'read' | 'edit' | 'operate';

/** What a role may do in the UI; the server checks again, this only hides what would be refused. */
export function can(session: Session, projectId: string, capability: Capability): boolean {
  if (session.is_admin) return true;
  const role = session.memberships.find((m) => m.project_id === projectId)?.role;
  if (!role) return false;
  if (capability === 'read') return true;
  if (capability === 'edit') return role === 'owner' || role === 'member';
  return role === 'owner';
}

export function canCreateProjects(session: Session): boolean {
  return session.is_admin || session.memberships.some((m) => m.role === 'owner');
}
