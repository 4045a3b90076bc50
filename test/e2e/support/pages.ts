import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newContext, watchConsole } from '../../support/browser.js';

export interface SignedIn {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

/** The opt-in for `window.__mission` in a production build (web/src/app/diagnostics.ts). */
const DIAGNOSTICS_KEY = 'mc.diagnostics';

/** Runs in the page before its scripts; about:blank has no storage to write to. */
function optIntoDiagnostics(key: string): void {
  try {
    (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem(key, '1');
  } catch {
    // not an http(s) page
  }
}

/**
 * Opens a fresh browser context (own cookies, own WebSocket) and signs in through the form. Its
 * tabs opt into the diagnostics hook `cutSocket` uses unless `diagnostics` is false.
 */
export async function signIn(
  browser: Browser,
  baseURL: string,
  user: { username: string; password: string },
  colorScheme: 'light' | 'dark' = 'light',
  { diagnostics = true }: { diagnostics?: boolean } = {},
): Promise<SignedIn> {
  const context = await newContext(browser, baseURL, colorScheme);
  if (diagnostics) await context.addInitScript(optIntoDiagnostics, DIAGNOSTICS_KEY);
  // Fail fast with the step that hung rather than at the test timeout.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const { errors } = watchConsole(page);
  await page.goto('/');
  await page.fill('input[name=username]', user.username);
  await page.fill('input[name=password]', user.password);
  await page.click('button[type=submit]');
  await page.locator('[data-testid=current-user]').waitFor();
  return { context, page, errors };
}

export const card = (page: Page, taskId: string) => page.locator(`[data-testid="card-${taskId}"]`);
export const column = (page: Page, status: string) => page.locator(`[data-testid="column-${status}"]`);
export const cardIn = (page: Page, status: string, taskId: string) => page.locator(`[data-testid="column-${status}"] [data-testid="card-${taskId}"]`);

/** Opens the board and waits until the socket is live and the columns are drawn. */
export async function openBoard(page: Page, projectId: string): Promise<void> {
  await page.goto(`/p/${projectId}`);
  await page.locator('[data-testid=board]').waitFor();
  await page.locator('[data-testid=connection-state][data-phase=open]').waitFor();
}

/** The web app's diagnostics hook (`window.__mission`, see web/src/app/MissionProvider.tsx). */
export interface MissionHook {
  __mission?: { socket: { simulateDrop(holdMs: number): void } };
}

/** Closes the tab's WebSocket and keeps it closed for `holdMs` (the app then reconnects). */
export async function cutSocket(page: Page, holdMs: number): Promise<void> {
  await page.evaluate((ms) => (globalThis as unknown as MissionHook).__mission!.socket.simulateDrop(ms), holdMs);
}
