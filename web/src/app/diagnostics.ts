/** The localStorage key that opts a tab into the `window.__mission` hook (the e2e tests set it). */
export const DIAGNOSTICS_KEY = 'mc.diagnostics';

/**
 * The dev server always exposes the hook; a production build only in a tab that opted in, so the
 * shipped page keeps its socket off `window` while the browser tests still drive the real bundle.
 */
export function diagnosticsEnabled(): boolean {
  if (import.meta.env.DEV) return true;
  try {
    return localStorage.getItem(DIAGNOSTICS_KEY) === '1';
  } catch {
    return false; // storage blocked (privacy settings): no opt-in
  }
}
