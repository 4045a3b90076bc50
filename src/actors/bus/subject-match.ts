import { MissionError } from '../../core/index.js';

/**
 * NATS subject rules, checked the same way for both buses so the in-process bus cannot accept
 * what NATS would refuse: tokens are non-empty and separated by dots, no whitespace; `*` matches
 * exactly one token and `>` one or more trailing tokens, each only as a whole token.
 */
const FORBIDDEN_CHARS = /[\s\0]/;

export function assertPublishSubject(subject: string): string {
  const tokens = splitTokens(subject, 'subject');
  if (tokens.some((t) => t === '*' || t === '>')) {
    throw new MissionError('INVALID_INPUT', 'A published subject may not contain wildcards', { subject });
  }
  return subject;
}

export function assertSubscribePattern(pattern: string): string[] {
  const tokens = splitTokens(pattern, 'pattern');
  tokens.forEach((t, i) => {
    if (t === '>' && i !== tokens.length - 1) {
      throw new MissionError('INVALID_INPUT', "'>' must be the last token of a subject pattern", { subject: pattern });
    }
    if (t !== '*' && t !== '>' && /[*>]/.test(t)) {
      throw new MissionError('INVALID_INPUT', "'*' and '>' are wildcards only as whole tokens", { subject: pattern });
    }
  });
  return tokens;
}

/** True when the concrete subject's tokens match the pattern's tokens. */
export function matchTokens(pattern: readonly string[], subject: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '>') return subject.length > i;
    const s = subject[i];
    if (s === undefined) return false;
    if (p !== '*' && p !== s) return false;
  }
  return pattern.length === subject.length;
}

function splitTokens(subject: string, what: string): string[] {
  if (typeof subject !== 'string' || subject.length === 0 || FORBIDDEN_CHARS.test(subject)) {
    throw new MissionError('INVALID_INPUT', `The ${what} must be a non-empty subject without whitespace`, { subject });
  }
  const tokens = subject.split('.');
  if (tokens.some((t) => t.length === 0)) {
    throw new MissionError('INVALID_INPUT', `The ${what} has an empty token`, { subject });
  }
  return tokens;
}
