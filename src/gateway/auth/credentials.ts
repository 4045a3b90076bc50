import { parseInstanceId, type Principal } from '../../core/index.js';
import type { QueriesRepo, TokensRepo, UsersRepo } from '../../store/index.js';
import { hashToken } from './tokens.js';

export const SESSION_COOKIE = 'mc_session';

/** An authenticated caller: who, the key its idempotency keys and rate limit belong to, and how. */
export interface Caller {
  principal: Principal;
  principalKey: string;
  tokenHash: string;
  tokenKind: string;
}

export function principalKeyOf(p: Principal): string {
  switch (p.kind) {
    case 'user':
      return `user:${p.userId}`;
    case 'agent':
      return `agent:${p.instanceId}`;
    case 'driver':
      return `driver:${p.driverName}`;
    case 'runtime':
      return 'runtime';
  }
}

const TOUCH_EVERY_MS = 60_000;

/**
 * Turns a presented token into a Caller. Looked up in SQLite on every request (an indexed read),
 * so a revoked token stops working at once; `last_used_at` is written at most once a minute.
 */
export class CredentialResolver {
  private readonly touched = new Map<number, number>();

  constructor(
    private readonly tokens: TokensRepo,
    private readonly users: UsersRepo,
    private readonly queries: QueriesRepo,
    private readonly now: () => number,
  ) {}

  resolve(token: string | undefined): Caller | undefined {
    if (!token || token.length > 512) return undefined;
    const now = this.now();
    const tokenHash = hashToken(token);
    const row = this.tokens.findLive(tokenHash, now);
    if (!row) return undefined;
    const principal = this.principalOf(row);
    if (!principal) return undefined;
    const last = this.touched.get(row.id) ?? 0;
    if (now - last > TOUCH_EVERY_MS) {
      this.touched.set(row.id, now);
      this.tokens.touch(row.id, now);
    }
    return { principal, principalKey: principalKeyOf(principal), tokenHash, tokenKind: row.kind };
  }

  private principalOf(row: ReturnType<TokensRepo['findLive']> & object): Principal | undefined {
    if (row.kind === 'user' || row.kind === 'session') {
      if (row.user_id === null) return undefined;
      const user = this.users.byId(row.user_id);
      if (!user || user.disabled_at !== null) return undefined;
      return { kind: 'user', userId: user.id, username: user.username, isAdmin: user.is_admin };
    }
    if (row.kind === 'instance' || row.kind === 'pulse') {
      if (!row.instance_id) return undefined;
      const agent = this.queries.getAgent(row.instance_id);
      if (!agent || agent.state === 'destroyed') return undefined;
      const { soulId, projectId } = parseInstanceId(row.instance_id);
      return { kind: 'agent', instanceId: row.instance_id, soulId, projectId };
    }
    if (row.kind === 'driver' && row.driver_name) return { kind: 'driver', driverName: row.driver_name };
    return undefined;
  }
}

/** Reads `Authorization: Bearer <token>`. */
export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
