import { MissionError } from '../core/index.js';
import { renderLeadBrief, type LeadBrief } from './lead-brief.js';

/**
 * The System Pulse Template of SPEC §4, delivered on every pulse. The first seven lines are
 * the template exactly (header, five `- ` fields, INSTRUCTION); multi-line values continue on
 * lines indented by two spaces, so text from other agents can never forge a template line.
 * After them: the pulse id, pending notifications and the L1–L3 memory. Every part is
 * truncated with a visible marker, and the whole prompt stays within `maxBytes` (UTF-8).
 */
export interface PulseTaskEvent {
  task_id: string;
  instance_id: string | null;
  kind: string;
  thought: string;
  action: string;
}

export interface PulseNote {
  kind: string;
  body: string;
  task_id: string | null;
}

export interface PulseState {
  project_id: string;
  scoped_path: string;
  task: { id: string; title: string } | null;
  /** The latest part of learned.md. */
  learned_excerpt: string;
  team_notes: { task_events: PulseTaskEvent[]; messages: PulseNote[] };
  notifications: PulseNote[];
  pulse_id: string;
  memory: { soul_md: string; context: string; working: string };
  /** Only in the pulse of the project's lead: unassigned backlog, reviews, team workload. */
  lead?: LeadBrief;
}

export interface PulsePromptOptions {
  /** Upper bound of the whole prompt in UTF-8 bytes (default 16 KiB, at least 2 KiB). */
  maxBytes?: number;
}

export const PULSE_HEADER = '[SYSTEM STATUS UPDATE]';
export const PULSE_INSTRUCTION = "INSTRUCTION: Update your status via 'log_event' before taking any tool actions.";
export const DEFAULT_PULSE_PROMPT_BYTES = 16 * 1024;
const MIN_PULSE_PROMPT_BYTES = 2 * 1024;
const NONE = 'none';

/** Shares of `maxBytes` each variable part may use before it is truncated. */
const BUDGET = { title: 0.02, learned: 0.1, notes: 0.15, notifications: 0.1, soul: 0.25, context: 0.14, working: 0.14, lead: 0.1 } as const;
type Part = keyof typeof BUDGET;

function bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Cuts `s` to at most `max` bytes on a character boundary; `fromEnd` keeps the tail. */
function cut(s: string, max: number, fromEnd = false): string {
  if (max <= 0) return '';
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= max) return s;
  let piece = fromEnd ? buf.subarray(buf.length - max) : buf.subarray(0, max);
  // Drop a partial UTF-8 sequence at the cut so no replacement character appears.
  if (fromEnd) {
    let i = 0;
    while (i < piece.length && (piece[i]! & 0xc0) === 0x80) i++;
    piece = piece.subarray(i);
  } else {
    let end = piece.length;
    while (end > 0 && (piece[end - 1]! & 0xc0) === 0x80) end--;
    if (end > 0 && piece[end - 1]! >= 0xc0) end--;
    piece = piece.subarray(0, end);
  }
  return piece.toString('utf8');
}

/** Truncates with a marker saying how much was left out (the marker counts toward `max`). */
export function truncateWithMarker(s: string, max: number, keep: 'head' | 'tail' = 'head', separator = '\n'): string {
  if (bytes(s) <= max) return s;
  const omitted = (n: number): string => `[… ${n} bytes truncated]`;
  const room = Math.max(0, max - bytes(omitted(bytes(s))) - bytes(separator));
  const kept = cut(s, room, keep === 'tail');
  const marker = omitted(bytes(s) - bytes(kept));
  return keep === 'tail' ? `${marker}${separator}${kept}` : `${kept}${separator}${marker}`;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** First line after the field name; the rest indented, so no value line starts a template line. */
function fieldValue(value: string): string {
  const lines = value.replace(/\r\n?/g, '\n').trim().split('\n');
  return lines.map((l, i) => (i === 0 ? l : `  ${l}`)).join('\n');
}

function noteLine(n: PulseNote): string {
  return `[${n.kind}${n.task_id ? ` ${n.task_id}` : ''}] ${oneLine(n.body)}`;
}

const NOTIFICATIONS_TITLE = '[NOTIFICATIONS]';
const NOTE_LINE = /^- \[([^\s\]]+)(?: ([^\s\]]+))?\] (.*)$/;

/**
 * The notifications a prompt carries, read back from its `[NOTIFICATIONS]` section (what an
 * agent sees): one `- [kind task_id] body` line each, up to the blank line that ends the section.
 */
export function readPromptNotifications(prompt: string): PulseNote[] {
  const lines = prompt.split('\n');
  const notes: PulseNote[] = [];
  for (let i = lines.indexOf(NOTIFICATIONS_TITLE) + 1; i > 0 && i < lines.length && lines[i] !== ''; i++) {
    const m = NOTE_LINE.exec(lines[i]!);
    if (m) notes.push({ kind: m[1]!, task_id: m[2] ?? null, body: m[3]! });
  }
  return notes;
}

function eventLine(e: PulseTaskEvent): string {
  return `[${e.kind} ${e.task_id}] ${e.instance_id ?? 'human'}: ${oneLine(e.thought)} → ${oneLine(e.action)}`;
}

function render(state: PulseState, budget: Record<Part, number>): string {
  const task = state.task ? `${truncateWithMarker(oneLine(state.task.title), budget.title, 'head', ' ')} (ID: ${state.task.id})` : `${NONE} (ID: ${NONE})`;
  const learned = state.learned_excerpt.trim() === '' ? NONE : truncateWithMarker(state.learned_excerpt.trim(), budget.learned, 'tail');
  const noteLines = [...state.team_notes.task_events.map(eventLine), ...state.team_notes.messages.map(noteLine)];
  const notes = noteLines.length === 0 ? NONE : truncateWithMarker(noteLines.join('\n'), budget.notes);
  const notifications = state.notifications.length === 0 ? NONE : truncateWithMarker(state.notifications.map((n) => `- ${noteLine(n)}`).join('\n'), budget.notifications);
  const section = (title: string, body: string, part: Part, keep: 'head' | 'tail' = 'head'): string =>
    `[${title}]\n${body.trim() === '' ? '(empty)' : truncateWithMarker(body.trim(), budget[part], keep)}`;
  return [
    PULSE_HEADER,
    `- Current Project: ${state.project_id}`,
    `- Current Path: ${oneLine(state.scoped_path)}`,
    `- Active Task: ${task}`,
    `- Last Learned Context: ${fieldValue(learned)}`,
    `- Internal Team Notes: ${fieldValue(notes)}`,
    PULSE_INSTRUCTION,
    '',
    `Pulse ID: ${oneLine(state.pulse_id)}`,
    '',
    `${NOTIFICATIONS_TITLE}\n${notifications}`,
    '',
    ...(state.lead ? [truncateWithMarker(renderLeadBrief(state.lead), budget.lead), ''] : []),
    section('MEMORY L1: SOUL.md', state.memory.soul_md, 'soul'),
    '',
    section('MEMORY L2: .context', state.memory.context, 'context'),
    '',
    section('MEMORY L3: working.md', state.memory.working, 'working', 'tail'),
    '',
  ].join('\n');
}

export function buildPulsePrompt(state: PulseState, opts: PulsePromptOptions = {}): string {
  const maxBytes = opts.maxBytes ?? DEFAULT_PULSE_PROMPT_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_PULSE_PROMPT_BYTES) {
    throw new MissionError('INVALID_INPUT', `pulse prompt limit must be an integer of at least ${MIN_PULSE_PROMPT_BYTES} bytes`, { maxBytes });
  }
  let scale = 1;
  for (let round = 0; round < 12; round++) {
    const budget = Object.fromEntries(Object.entries(BUDGET).map(([k, share]) => [k, Math.floor(maxBytes * share * scale)])) as Record<Part, number>;
    const prompt = render(state, budget);
    if (bytes(prompt) <= maxBytes) return prompt;
    scale *= 0.75;
  }
  // Only fixed parts (ids, path) can still be too long; cut the tail, the template comes first.
  return cut(render(state, { title: 0, learned: 0, notes: 0, notifications: 0, soul: 0, context: 0, working: 0, lead: 0 }), maxBytes);
}
