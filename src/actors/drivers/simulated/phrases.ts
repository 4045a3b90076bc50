import type { Rng } from './prng.js';

/**
 * What a scripted agent says in its thought stream: plausible thought/action pairs about the
 * task at hand, chosen by the pulse's PRNG.
 */
const THOUGHTS: readonly ((title: string) => { thought: string; action: string })[] = [
  (t) => ({
    thought: `Re-reading the acceptance criteria for "${t}" before touching code.`,
    action: 'read task description',
  }),
  (t) => ({
    thought: `Sketching the smallest change that moves "${t}" forward.`,
    action: 'draft plan in working.md',
  }),
  (t) => ({
    thought: `Checking how "${t}" interacts with what the rest of the squad shipped.`,
    action: 'review recent changes',
  }),
  (t) => ({ thought: `Writing a failing test first for "${t}".`, action: 'write test' }),
  (t) => ({
    thought: `The core of "${t}" works locally; tightening the edge cases.`,
    action: 'implement edge cases',
  }),
  (t) => ({ thought: `Profiling the hot path touched by "${t}".`, action: 'run benchmark' }),
  (t) => ({ thought: `Cleaning up naming and comments in the "${t}" change.`, action: 'refactor' }),
  (t) => ({ thought: `Running the suite again after the last "${t}" edit.`, action: 'run tests' }),
];

const PICKUPS: readonly ((title: string) => { thought: string; action: string })[] = [
  (t) => ({ thought: `Highest-priority work on my queue is "${t}"; starting now.`, action: 'start task' }),
  (t) => ({ thought: `Picking up "${t}": dependencies are done and it is mine.`, action: 'start task' }),
];

const HELP_ISSUES: readonly ((title: string) => string)[] = [
  (t) => `I need a decision on the expected behaviour for "${t}": the spec allows two readings.`,
  (t) => `"${t}" needs credentials for the staging environment that I do not have.`,
  (t) => `Blocked on "${t}": the upstream API returns errors I cannot diagnose from here.`,
];

const MENTIONS: readonly ((title: string, who: string) => string)[] = [
  (t, who) => `@${who} could you sanity-check my approach on "${t}"?`,
  (t, who) => `@${who} heads-up: "${t}" touches code you wrote last week.`,
  (t, who) => `@${who} I left notes in working.md about "${t}" if you need them.`,
];

export function workThought(rng: Rng, title: string): { thought: string; action: string } {
  return rng.pick(THOUGHTS)(title);
}

export function pickupThought(rng: Rng, title: string): { thought: string; action: string } {
  return rng.pick(PICKUPS)(title);
}

export function helpIssue(rng: Rng, title: string): string {
  return rng.pick(HELP_ISSUES)(title);
}

export function mentionText(rng: Rng, title: string, who: string): string {
  return rng.pick(MENTIONS)(title, who);
}

/** What a finished task leaves in learned.md (no PRNG draw: distilling never shifts later choices). */
export function distillSummary(titles: readonly string[]): string {
  return titles.map((t) => `Finished "${t}": keep the approach that worked and the tests that guard it.`).join('\n');
}
