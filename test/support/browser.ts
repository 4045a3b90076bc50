import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

/**
 * Real headless Debian Chromium for browser tests. Never downloads a browser: the system one at
 * /usr/bin/chromium is used. Playwright gives each launch a fresh temporary profile directory.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.MC_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
}

export async function newContext(browser: Browser, baseURL: string, colorScheme: 'light' | 'dark' = 'light'): Promise<BrowserContext> {
  return browser.newContext({ baseURL, colorScheme, viewport: { width: 1440, height: 900 } });
}

/** Collects what the page reports as errors: uncaught exceptions and console.error. */
export function watchConsole(page: Page): { errors: string[] } {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() !== 'error') return;
    // Chromium logs every non-2xx response; a refused sign-in (401 on /auth/login) is what the
    // sign-in tests provoke, not a page error. Anything else, /auth/me included, counts.
    const where = msg.location().url;
    if (msg.text().startsWith('Failed to load resource') && /\/auth\/login$/.test(where)) return;
    errors.push(`console: ${msg.text()} @ ${where}`);
  });
  return { errors };
}
