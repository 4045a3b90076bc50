import { MissionError, parseInstanceId, SLUG_RE, type ProjectRole } from '../../core/index.js';
import { MembershipsRepo, QueriesRepo, TokensRepo, UsersRepo, type SqliteDatabase, type TokenKind } from '../../store/index.js';
import { hashPassword } from './passwords.js';
import { hashToken, newToken } from './tokens.js';

const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DRIVER_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Users, memberships and credentials, shared by the server (first admin from `MC_ADMIN`) and
 * the CLI (`user add`, `user grant`, `token create`).
 */
export class Accounts {
  readonly users: UsersRepo;
  readonly memberships: MembershipsRepo;
  readonly tokens: TokensRepo;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new UsersRepo(db);
    this.memberships = new MembershipsRepo(db);
    this.tokens = new TokensRepo(db);
  }

  async addUser(username: string, password: string, isAdmin: boolean): Promise<{ id: number; username: string; is_admin: boolean }> {
    if (!USERNAME_RE.test(username)) throw new MissionError('INVALID_INPUT', `user name must match ${USERNAME_RE.source}`, { username });
    if (password.length < 8 || password.length > 1024) throw new MissionError('INVALID_INPUT', 'a password has 8 to 1024 characters');
    if (this.users.byUsername(username)) throw new MissionError('CONFLICT', `user ${username} already exists`, { username });
    const user = this.users.create(username, await hashPassword(password), isAdmin, this.now());
    return { id: user.id, username: user.username, is_admin: user.is_admin };
  }

  /** Creates the admin named by `MC_ADMIN=<user>:<password>` unless the user exists (then makes it admin). */
  async ensureAdmin(username: string, password: string): Promise<'created' | 'exists'> {
    const existing = this.users.byUsername(username);
    if (existing) {
      if (!existing.is_admin) this.users.setAdmin(existing.id, true);
      return 'exists';
    }
    await this.addUser(username, password, true);
    return 'created';
  }

  grant(username: string, projectId: string, role: ProjectRole): void {
    const user = this.users.byUsername(username);
    if (!user) throw new MissionError('NOT_FOUND', `no user ${username}`, { username });
    if (!SLUG_RE.test(projectId)) throw new MissionError('INVALID_INPUT', 'project id must be a slug', { project_id: projectId });
    if (!(['owner', 'member', 'viewer'] as const).includes(role)) throw new MissionError('INVALID_INPUT', 'role is owner, member or viewer', { role });
    if (!new QueriesRepo(this.db).projectExists(projectId)) throw new MissionError('NOT_FOUND', `no project ${projectId}`, { project_id: projectId });
    this.memberships.grant(user.id, projectId, role, this.now());
  }

  /**
   * Mints a bearer token for a user, an agent instance or an agent runtime (driver). Returns the
   * token once; only its SHA-256 is stored.
   */
  createToken(
    subject: { user: string } | { instance: string } | { driver: string },
    opts: { label?: string; ttlMs?: number; kind?: TokenKind } = {},
  ): { token: string; id: number } {
    const token = newToken();
    const base = {
      token_hash: hashToken(token),
      label: opts.label ?? null,
      expires_at: opts.ttlMs !== undefined ? this.now() + opts.ttlMs : null,
    };
    let id: number;
    if ('user' in subject) {
      const user = this.users.byUsername(subject.user);
      if (!user) throw new MissionError('NOT_FOUND', `no user ${subject.user}`, { username: subject.user });
      id = this.tokens.insert({ ...base, kind: opts.kind ?? 'user', user_id: user.id }, this.now());
    } else if ('instance' in subject) {
      parseInstanceId(subject.instance);
      id = this.tokens.insert({ ...base, kind: opts.kind ?? 'instance', instance_id: subject.instance }, this.now());
    } else {
      if (!DRIVER_RE.test(subject.driver)) throw new MissionError('INVALID_INPUT', `driver name must match ${DRIVER_RE.source}`, { driver: subject.driver });
      id = this.tokens.insert({ ...base, kind: 'driver', driver_name: subject.driver }, this.now());
    }
    return { token, id };
  }

  /**
   * The short-lived credential a pulse carries to the agent program (SPEC §9); plug into the
   * runtime's `pulseCredentials` option with the server's URL.
   */
  mintPulseToken(instanceId: string, pulseId: string, expiresAt: number): string {
    parseInstanceId(instanceId);
    const token = newToken();
    this.tokens.insert({ token_hash: hashToken(token), kind: 'pulse', instance_id: instanceId, pulse_id: pulseId, expires_at: expiresAt, label: 'pulse' }, this.now());
    return token;
  }

  revokeToken(token: string): boolean {
    return this.tokens.revokeByHash(hashToken(token), this.now());
  }
}
