import { createHash, randomBytes } from 'node:crypto';

/** Bearer tokens (SPEC §9): 256 random bits, shown once, stored only as SHA-256. */
export const TOKEN_PREFIX = 'mc_';

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
