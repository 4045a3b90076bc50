import { createHash } from 'node:crypto';

/** A stable start slot for an instance: first 4 bytes of sha256(id) mod the interval (SPEC §4). */
export function hashSlot(instanceId: string, intervalS: number): number {
  return createHash('sha256').update(instanceId).digest().readUInt32BE(0) % intervalS;
}

/**
 * The pulse slot of a new instance (SPEC §4): start from its hash slot, then move to the nearest
 * second holding fewer than ceil(n / interval) instances of the project, n counting this one.
 * `occupied` maps slot → live instances already there. Ties go to the later second.
 */
export function staggerSlot(instanceId: string, intervalS: number, occupied: ReadonlyMap<number, number>): number {
  let n = 1;
  for (const c of occupied.values()) n += c;
  const cap = Math.ceil(n / intervalS);
  const start = hashSlot(instanceId, intervalS);
  for (let d = 0; d < intervalS; d++) {
    for (const slot of d === 0 ? [start] : [(start + d) % intervalS, (start - d + intervalS) % intervalS]) {
      if ((occupied.get(slot) ?? 0) < cap) return slot;
    }
  }
  return start; // unreachable: n instances cannot fill every second to ceil(n / interval)
}

/** The first time t ≥ `from` whose second lies on the slot: floor(t/1000) mod interval == slot. */
export function nextPulseAt(slot: number, intervalS: number, from: number): number {
  const sec = Math.floor(from / 1000);
  const base = sec - (((sec % intervalS) + intervalS) % intervalS);
  let k = base + slot;
  if (k < sec) k += intervalS;
  return k === sec ? from : k * 1000;
}

/** The slot's next second after the one holding `now` (the pulse after the one starting now). */
export function followingPulseAt(slot: number, intervalS: number, now: number): number {
  return nextPulseAt(slot, intervalS, (Math.floor(now / 1000) + 1) * 1000);
}
