import { MissionError, SLUG_RE } from '../core/index.js';

/**
 * Who hears about a message (SPEC §5 `mission.message.send`, §4 "unread messages and
 * @mentions"): pure rules, so the runtime applies them inside its group-commit transaction.
 */
export const ALL = '@all';

// Code is quoted, not addressed: `@shuri` inside backticks is not a mention.
const FENCED_CODE = /```[\s\S]*?```/g;
const INLINE_CODE = /`[^`\n]*`/g;
// A mention starts after a non-word character (so mail@shuri.dev is not one).
const MENTION = /(^|[^A-Za-z0-9_])@([A-Za-z0-9][A-Za-z0-9-]*)/g;

/**
 * Soul ids mentioned in `text`, in order of first mention, each once. `@all` stands for every
 * known soul except the author. Unknown names are ignored; matching ignores case. With
 * `knownSouls` null every slug counts (and `@all` is left to the caller, who knows the team).
 */
export function parseMentions(text: string, knownSouls: Iterable<string> | null, opts: { author?: string | null } = {}): string[] {
  const known = new Set(knownSouls === null ? [] : [...knownSouls].map((s) => s.toLowerCase()));
  const isKnown = (name: string): boolean => (knownSouls === null ? SLUG_RE.test(name) && name !== 'all' : known.has(name));
  const author = opts.author?.toLowerCase() ?? null;
  const found: string[] = [];
  const add = (soul: string): void => {
    if (soul !== author && !found.includes(soul)) found.push(soul);
  };
  const prose = text.replace(FENCED_CODE, ' ').replace(INLINE_CODE, ' ');
  for (const m of prose.matchAll(MENTION)) {
    let name = m[2]!.toLowerCase();
    if (name === 'all') {
      for (const soul of known) add(soul);
      continue;
    }
    // "@shuri-" at the end of a clause: the dash is punctuation, not part of the id.
    while (!isKnown(name) && name.endsWith('-')) name = name.slice(0, -1);
    if (isKnown(name)) add(name);
  }
  return found;
}

export interface Recipient {
  soul_id: string;
  /** `message`: addressed to them; `mention`: named in a message addressed to someone else. */
  kind: 'message' | 'mention';
}

/**
 * Recipients of `mission.message.send {to, text}`: the addressee (a soul with an instance in
 * the project, or `@all` = every instance but the author), plus anyone mentioned. Each soul
 * hears once; being addressed wins over being mentioned. Nobody messages themselves.
 */
export function messageRecipients(input: { to: string; text: string; authorSoul: string | null; projectSouls: readonly string[] }): Recipient[] {
  const souls = input.projectSouls.map((s) => s.toLowerCase());
  const author = input.authorSoul?.toLowerCase() ?? null;
  const to = input.to.toLowerCase();
  const out: Recipient[] = [];
  if (to === ALL) {
    for (const soul of souls) if (soul !== author) out.push({ soul_id: soul, kind: 'message' });
  } else {
    if (!souls.includes(to)) throw new MissionError('NOT_FOUND', `No agent ${input.to} in this project`, { to: input.to });
    if (to === author) throw new MissionError('INVALID_INPUT', 'An agent cannot message itself', { to: input.to });
    out.push({ soul_id: to, kind: 'message' });
  }
  for (const soul of parseMentions(input.text, souls, { author })) {
    if (!out.some((r) => r.soul_id === soul)) out.push({ soul_id: soul, kind: 'mention' });
  }
  return out;
}

export type SubscriptionReason = 'commented' | 'assigned' | 'mentioned' | 'created';

/** A thread subscriber: an instance id (`shuri:vanguard`) or a user (`user:<id>`). */
export type Subscriber = string;

export interface ThreadFanout {
  /** New subscriptions (the store keeps the first reason of an existing one). */
  subscribe: { subscriber: Subscriber; reason: SubscriptionReason }[];
  /** Agent instances to notify about this comment (users follow the live feed instead). */
  notify: { recipient: string; kind: 'comment' | 'mention' }[];
}

function isInstance(subscriber: Subscriber): boolean {
  return !subscriber.startsWith('user:') && subscriber.includes(':');
}

/**
 * A comment on a task thread: the author and everyone mentioned become subscribers; every
 * other subscribed instance gets a `comment` notification, the mentioned ones a `mention`.
 */
export function commentFanout(input: { author: Subscriber; mentioned: readonly Subscriber[]; subscribers: readonly Subscriber[] }): ThreadFanout {
  const subscribe: ThreadFanout['subscribe'] = [{ subscriber: input.author, reason: 'commented' }];
  for (const m of input.mentioned) if (m !== input.author) subscribe.push({ subscriber: m, reason: 'mentioned' });
  const notify: ThreadFanout['notify'] = [];
  for (const m of input.mentioned) {
    if (m !== input.author && isInstance(m) && !notify.some((n) => n.recipient === m)) notify.push({ recipient: m, kind: 'mention' });
  }
  for (const s of input.subscribers) {
    if (s !== input.author && isInstance(s) && !notify.some((n) => n.recipient === s)) notify.push({ recipient: s, kind: 'comment' });
  }
  return { subscribe, notify };
}

/** Being assigned a task subscribes the assignee's instance to its thread. */
export function assignmentSubscription(assigneeInstance: string | null): ThreadFanout['subscribe'] {
  return assigneeInstance ? [{ subscriber: assigneeInstance, reason: 'assigned' }] : [];
}
