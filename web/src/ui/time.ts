import { useEffect, useState } from 'react';
import { t } from '../i18n/index.ts';

/** Re-renders every `everyMs` with the current time: countdowns tick locally, nothing is polled. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d`;
}

export function relative(at: number | null, now: number): string {
  if (at === null) return t.app.never;
  const diff = at - now;
  if (Math.abs(diff) < 1000) return t.time.now;
  return diff > 0 ? t.time.in(formatDuration(diff)) : t.time.ago(formatDuration(diff));
}

export function clockTime(at: number): string {
  // 24-hour: log columns stay narrow and aligned (no AM/PM suffix).
  return new Date(at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

export function dateTime(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' });
}
