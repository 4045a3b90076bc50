import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ERRORS } from '../../core/index.js';
import type { Accounts } from './accounts.js';
import { authenticate, presentedToken, sendUnauthenticated } from './authenticate.js';
import { SESSION_COOKIE, type CredentialResolver } from './credentials.js';
import { decoyHash, verifyPassword } from './passwords.js';
import type { RateLimiter } from './rate-limit.js';
import { hashToken } from './tokens.js';

export interface AuthRoutesOptions {
  accounts: Accounts;
  resolver: CredentialResolver;
  limiter: RateLimiter;
  sessionTtlMs: number;
  secureCookies: boolean;
  now: () => number;
}

const login = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) });

function appError(code: 'UNAUTHENTICATED' | 'RATE_LIMITED' | 'INVALID_INPUT', message: string): { error: { code: string; severity: string; message: string } } {
  return { error: { code, severity: ERRORS[code].severity, message } };
}

/** `POST /auth/login`, `POST /auth/logout`, `GET /auth/me` (SPEC §9: httpOnly SameSite session cookie). */
export async function authRoutes(app: FastifyInstance, opts: AuthRoutesOptions): Promise<void> {
  app.post('/auth/login', async (req, reply) => {
    // Brute force is limited per client address and per account name.
    const parsed = login.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send(appError('INVALID_INPUT', 'username and password are required'));
    const { username, password } = parsed.data;
    if (!opts.limiter.take(`login-ip:${req.ip}`) || !opts.limiter.take(`login-user:${username}`)) {
      return reply.code(429).send(appError('RATE_LIMITED', 'too many sign-in attempts; retry later'));
    }
    const user = opts.accounts.users.byUsername(username);
    const valid = await verifyPassword(password, user?.password_hash ?? (await decoyHash()));
    if (!user || !valid || user.disabled_at !== null) return reply.code(401).send(appError('UNAUTHENTICATED', 'wrong user name or password'));
    const { token } = opts.accounts.createToken({ user: username }, { kind: 'session', ttlMs: opts.sessionTtlMs, label: 'web session' });
    reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: opts.secureCookies,
      path: '/',
      maxAge: Math.floor(opts.sessionTtlMs / 1000),
    });
    return { user: { id: user.id, username: user.username, is_admin: user.is_admin } };
  });

  app.post('/auth/logout', async (req, reply) => {
    const token = req.cookies?.[SESSION_COOKIE];
    if (token) opts.accounts.tokens.revokeByHash(hashToken(token), opts.now());
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/auth/me', async (req, reply) => {
    // "Who am I?" without any credential is answered, not refused: a signed-out page asks it on
    // every load, and a 401 there would be logged by the browser as an error. A credential that
    // does not work (revoked, expired, unknown) is still a 401.
    if (presentedToken(req, false) === undefined) return { kind: 'anonymous' };
    const caller = authenticate(opts.resolver, req, false);
    if (!caller) return sendUnauthenticated(reply);
    const p = caller.principal;
    if (p.kind === 'user') {
      return { kind: 'user', id: p.userId, username: p.username, is_admin: p.isAdmin, memberships: opts.accounts.memberships.forUser(p.userId) };
    }
    if (p.kind === 'agent') return { kind: 'agent', instance_id: p.instanceId, soul_id: p.soulId, project_id: p.projectId };
    if (p.kind === 'driver') return { kind: 'driver', driver: p.driverName };
    return { kind: p.kind };
  });
}
