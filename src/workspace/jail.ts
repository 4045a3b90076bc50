import { realpath, lstat } from 'node:fs/promises';
import path from 'node:path';
import { MissionError } from '../core/index.js';

/**
 * The file jail (SPEC §7): turns a path an agent or a human gave into a location inside one
 * project scope, or refuses it with PATH_OUTSIDE_SCOPE. Checks are lexical first (cheap, and
 * they run on every spelling a later layer might decode), then physical (realpath of the
 * deepest existing ancestor, so a symlink cannot lead outside).
 */
export interface JailLimits {
  /** Longest accepted path, in UTF-8 bytes. */
  maxPathBytes: number;
  /** Longest accepted path segment, in UTF-8 bytes (ext4 and most file systems: 255). */
  maxSegmentBytes: number;
}

export const DEFAULT_JAIL_LIMITS: JailLimits = { maxPathBytes: 1024, maxSegmentBytes: 255 };

/** Percent-decoding rounds before a path that keeps changing is refused (e.g. %25252e…). */
const MAX_DECODE_ROUNDS = 6;

// C0, DEL and C1 controls, plus bidi overrides and zero-width characters that hide what a name says.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;
// Slash and backslash look-alikes that NFKC does not fold to '/' (U+2215, U+2044, U+29F8, U+29F9…).
const SEPARATOR_LOOKALIKES = /[\\\u2215\u2044\u29f8\u29f9\u2571\u2572\uff3c\uff0f\u3031\u3033]/u;
const DRIVE_LETTER = /^[A-Za-z]:/;

/** Internal names that only the workspace itself may touch: lock files and atomic-write temps. */
export function isReservedName(segment: string): boolean {
  return segment.endsWith('.lock') || segment.startsWith('.tmp-') || segment.includes('.lock.takeover');
}

function refuse(input: string, reason: string): never {
  throw new MissionError('PATH_OUTSIDE_SCOPE', `Path refused: ${reason}`, { path: input.slice(0, 200), reason });
}

/**
 * Decodes %XX runs. A run that is not valid UTF-8 (e.g. the overlong `%c0%ae` for '.') is
 * refused: some decoder downstream might be lenient about it.
 */
function percentDecodeOnce(input: string, s: string): string {
  return s.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return refuse(input, 'malformed percent-encoding');
    }
  });
}

/** Every spelling of `input` a downstream layer could arrive at: raw, NFKC, and each decoding. */
function spellings(input: string): string[] {
  const out = new Set<string>();
  let current = input;
  for (let round = 0; ; round++) {
    out.add(current);
    out.add(current.normalize('NFKC'));
    out.add(current.normalize('NFKD'));
    const next = percentDecodeOnce(input, current);
    if (next === current) break;
    if (round >= MAX_DECODE_ROUNDS) refuse(input, 'too many levels of percent-encoding');
    current = next;
  }
  return [...out];
}

function checkSpelling(input: string, spelling: string, limits: JailLimits): void {
  if (spelling.includes('\u0000')) refuse(input, 'NUL byte');
  if (FORBIDDEN_CHARS.test(spelling)) refuse(input, 'control or invisible character');
  if (SEPARATOR_LOOKALIKES.test(spelling)) refuse(input, 'backslash or separator look-alike');
  if (spelling.startsWith('/') || spelling.startsWith('~') || DRIVE_LETTER.test(spelling)) refuse(input, 'absolute path');
  if (Buffer.byteLength(spelling, 'utf8') > limits.maxPathBytes) refuse(input, `longer than ${limits.maxPathBytes} bytes`);
  for (const segment of spelling.split('/')) {
    if (segment === '..') refuse(input, "'..' segment");
    // A segment made only of dots and dot look-alikes could become '..' in some other layer.
    if (segment.length > 1 && /^[.\u2024\u2025\u2026\ufe52\uff0e]+$/u.test(segment) && segment !== '.') refuse(input, 'dot segment');
    if (Buffer.byteLength(segment, 'utf8') > limits.maxSegmentBytes) refuse(input, `segment longer than ${limits.maxSegmentBytes} bytes`);
  }
}

/**
 * Validates a scope-relative path and returns its canonical segments (NFKC, without '.' and
 * empty segments). The canonical form is what lands on disk, so two spellings of one name
 * (e.g. fullwidth letters) are one file and access rules cannot be dodged by a look-alike.
 * An empty result means the scope root.
 */
export function canonicalSegments(input: unknown, limits: JailLimits = DEFAULT_JAIL_LIMITS): string[] {
  if (typeof input !== 'string') throw new MissionError('INVALID_INPUT', 'path must be a string');
  // Refuse before any decoding work, so a huge input costs nothing.
  if (input.length > limits.maxPathBytes * 3) refuse(input, `longer than ${limits.maxPathBytes} bytes`);
  for (const spelling of spellings(input)) checkSpelling(input, spelling, limits);
  const canonical = input.normalize('NFKC');
  const segments = canonical.split('/').filter((s) => s !== '' && s !== '.');
  for (const segment of segments) {
    if (isReservedName(segment)) refuse(input, 'reserved name (lock or temporary file)');
  }
  return segments;
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root + path.sep);
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    if (code === 'ELOOP') refuse(path.basename(p), 'looping symlink');
    throw err;
  }
}

export interface ResolvedPath {
  /** Canonical scope-relative path with '/' separators ('' for the root). */
  relative: string;
  segments: string[];
  /** Absolute path to operate on: the real path of the deepest existing ancestor + the rest. */
  absolute: string;
  /**
   * The segments of `absolute` relative to the real root. They differ from `segments` when a
   * symlink inside the scope points elsewhere inside it; access rules must hold for both.
   */
  physicalSegments: string[];
}

/**
 * Resolves `input` inside `root` (which must exist). The deepest existing ancestor of the
 * target (the target itself when it exists) is realpath'd and must stay inside the real root,
 * so symlinks anywhere on the way (to /etc, to a sibling project) are refused.
 */
export async function resolveInScope(root: string, input: unknown, limits: JailLimits = DEFAULT_JAIL_LIMITS): Promise<ResolvedPath> {
  const segments = canonicalSegments(input, limits);
  const realRoot = await realpath(root);
  let existing = segments.length;
  while (existing > 0 && !(await exists(path.join(realRoot, ...segments.slice(0, existing))))) existing--;
  let anchor: string;
  try {
    anchor = await realpath(path.join(realRoot, ...segments.slice(0, existing)));
  } catch {
    // A dangling or looping symlink: where it leads cannot be checked, so it leads nowhere.
    refuse(String(input), 'dangling or looping symlink');
  }
  if (!isInside(realRoot, anchor)) refuse(String(input), 'resolves through a symlink outside the project scope');
  const absolute = path.join(anchor, ...segments.slice(existing));
  const physicalSegments = path.relative(realRoot, absolute).split(path.sep).filter((s) => s !== '');
  return { relative: segments.join('/'), segments, absolute, physicalSegments };
}
