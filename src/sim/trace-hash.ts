import { createHash } from 'node:crypto';
import type { Repositories } from '../store/index.js';

export const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * A run's fingerprint: its trace and every actor's history (events in order per actor, with
 * their times; random ids replaced by the deterministic pulse ids). Independent actors whose
 * events commit at the same sim instant (two pulses timing out together) may take their seqs in
 * either order: that interleaving is the event loop's, not the seed's, and is left out.
 */
export function traceHash(trace: readonly string[], repos: Repositories | null, projects: readonly string[], pulseIds: ReadonlyMap<string, string>): string {
  const h = createHash('sha256');
  for (const line of trace) h.update(line).update('\n');
  for (const p of [...projects].sort()) {
    const perActor = new Map<string, string[]>();
    for (const e of repos?.events.since(p, 0, 1_000_000) ?? []) {
      const line = `${e.ts}|${e.type}|${JSON.stringify(e.payload).replace(UUID_RE, (u) => pulseIds.get(u) ?? 'uuid')}`;
      perActor.set(e.actor_id, [...(perActor.get(e.actor_id) ?? []), line]);
    }
    for (const actor of [...perActor.keys()].sort()) h.update(`${actor}\n${perActor.get(actor)!.join('\n')}\n`);
  }
  return h.digest('hex');
}
