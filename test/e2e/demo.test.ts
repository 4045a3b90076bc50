import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext } from '../support/browser.js';
import { readWebBundle } from './support/bundle.js';
import { openBoard, signIn, type SignedIn } from './support/pages.js';
import { buildWeb, startServer, type E2EServer } from './support/server.js';

// `npm start` as a visitor meets it (SPEC §10 demo, §11 board): the --demo server seeds a
// simulated squad and prints a sign-in; within seconds the board is alive.
const SCREENSHOTS = new URL('../../screenshots/', import.meta.url).pathname;
/** How long the squad gets to show each sign of life (pulses are seconds apart in the demo). */
const LIFE_MS = 45_000;
/** What only the inspector needs (DESIGN.md "Web"), by the modules that make it up. */
const INSPECTOR_MODULES: Record<string, RegExp> = {
  '@xyflow/react': /^node_modules\/@xyflow\/react\//,
  elkjs: /^node_modules\/elkjs\//,
  'xstate/graph': /^node_modules\/xstate\/dist\/xstate-graph\./,
};

let server: E2EServer;
let browser: Browser;
const sessions: SignedIn[] = [];

async function session(scheme: 'light' | 'dark' = 'light'): Promise<SignedIn> {
  const s = await signIn(browser, server.url, server.demo!.printed, scheme);
  sessions.push(s);
  return s;
}

/** Which column each card is drawn in, read from the page. */
async function placements(page: Page): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const column of await page.locator('[data-testid^="column-"]').all()) {
    const status = (await column.getAttribute('data-testid'))!.slice('column-'.length);
    const ids = await column.locator('[data-testid^="card-"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-testid') ?? ''));
    for (const id of ids) out[id.slice('card-'.length)] = status;
  }
  return out;
}

describe('the demo squad in a browser', () => {
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    buildWeb();
    server = await startServer({ demo: true });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    for (const s of sessions) await s.context.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  it('prints the sign-in that startServer reports, and it opens the board', async () => {
    const demo = server.demo!;
    expect(demo.projectId).toBe('vanguard');
    expect(demo.printed).toEqual({ username: demo.username, password: demo.password });
    expect(demo.printed.username).toBe('admin');
    const { page, errors } = await session();
    const scripts: string[] = [];
    page.on('request', (req) => {
      if (req.resourceType() === 'script') scripts.push(new URL(req.url()).pathname);
    });
    await openBoard(page, 'vanguard');
    expect(await page.locator('[data-testid^="card-"]').count()).toBeGreaterThan(3);
    // The production bundle keeps the inspector out of the board's download: no script the board
    // loaded bundles React Flow, ELK or xstate/graph (read from the manifest and source maps).
    const bundle = readWebBundle();
    const inspectorModulesIn = (paths: string[]): string[] =>
      Object.keys(INSPECTOR_MODULES).filter((name) => paths.some((path) => bundle.modulesOf(path).some((m) => INSPECTOR_MODULES[name]!.test(m))));
    expect(scripts).toContain(bundle.entry);
    for (const path of scripts.filter((p) => p.startsWith('/assets/'))) expect(bundle.lists(path), path).toBe(true);
    expect(inspectorModulesIn(scripts)).toEqual([]);
    const onBoard = scripts.length;
    await page.locator('nav.tabs a', { hasText: 'Inspector' }).click();
    await page.locator('[data-testid=actor-picker]').selectOption('jarvis:vanguard');
    await page.locator('[data-testid=statechart] .react-flow__node-state').first().waitFor();
    expect(inspectorModulesIn(scripts.slice(onBoard))).toEqual(Object.keys(INSPECTOR_MODULES));
    expect(errors).toEqual([]);
  });

  it('cards move between columns, a thought streams into a live terminal, and countdowns tick', async () => {
    const { page, errors } = await session();
    await openBoard(page, 'vanguard');
    const before = await placements(page);
    expect(Object.keys(before).length).toBeGreaterThan(3);
    const watching = Date.now();
    // Some card changes column without anyone touching the page.
    await expect
      .poll(async () => {
        const now = await placements(page);
        return Object.entries(now).filter(([id, status]) => before[id] !== undefined && before[id] !== status).length;
      }, { timeout: LIFE_MS, interval: 500 })
      .toBeGreaterThan(0);
    console.log(`[e2e] first card moved ${Date.now() - watching} ms after the board opened`);

    // A task being worked on: its terminal gains a line while it is open.
    const working = page.locator('[data-testid="column-in_progress"] [data-testid^="card-"]').first();
    await working.waitFor({ timeout: LIFE_MS });
    const taskId = (await working.getAttribute('data-testid'))!.slice('card-'.length);
    await page.goto(`/p/vanguard/t/${taskId}`);
    const lines = page.locator('[data-testid=live-terminal] .term-line');
    await page.locator('[data-testid=live-terminal]').waitFor();
    const shown = await lines.count();
    const opened = Date.now();
    await expect.poll(() => lines.count(), { timeout: LIFE_MS, interval: 500 }).toBeGreaterThan(shown);
    console.log(`[e2e] a new thought arrived ${Date.now() - opened} ms after the task opened (${shown} lines before)`);
    expect((await lines.last().locator('.term-thought').innerText()).trim().length).toBeGreaterThan(0);

    // Agent cards count down to their next pulse, locally, second by second.
    await page.goto('/p/vanguard/agents');
    const countdowns = page.locator('[data-testid^="agent-"] [data-testid=next-pulse]');
    await countdowns.first().waitFor();
    const first = await countdowns.allInnerTexts();
    expect(first.some((text) => /^in \d/.test(text))).toBe(true);
    await expect.poll(() => countdowns.allInnerTexts(), { timeout: 5_000, interval: 250 }).not.toEqual(first);
    expect(errors).toEqual([]);
  });

  it('captures the demo board, a streaming task, agents, documents and the inspector in light and dark', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const visitor = await newContext(browser, server.url, scheme);
      const signInPage = await visitor.newPage();
      await signInPage.goto('/');
      await signInPage.locator('input[name=username]').waitFor();
      await signInPage.screenshot({ path: `${SCREENSHOTS}demo-signin-${scheme}.png`, animations: 'disabled' });
      await visitor.close();

      const { page, errors } = await session(scheme);
      await page.locator('[data-testid="project-vanguard"]').waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}demo-projects-${scheme}.png`, animations: 'disabled' });
      await openBoard(page, 'vanguard');
      await page.locator('[data-testid="column-in_progress"] [data-testid^="card-"]').first().waitFor({ timeout: LIFE_MS });
      await page.screenshot({ path: `${SCREENSHOTS}demo-board-${scheme}.png`, animations: 'disabled' });

      const working = page.locator('[data-testid="column-in_progress"] [data-testid^="card-"]').first();
      const taskId = (await working.getAttribute('data-testid'))!.slice('card-'.length);
      await page.goto(`/p/vanguard/t/${taskId}`);
      await page.locator('[data-testid=live-terminal] .term-line').first().waitFor({ timeout: LIFE_MS });
      await page.screenshot({ path: `${SCREENSHOTS}demo-task-${scheme}.png`, animations: 'disabled' });

      await page.goto('/p/vanguard/agents');
      await page.locator('[data-testid^="agent-"]').first().waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}demo-agents-${scheme}.png`, animations: 'disabled' });

      await page.goto('/p/vanguard/docs/KANBAN.md');
      await page.locator('[data-testid=doc-view] .markdown h1').waitFor();
      await page.locator('a.doc-link').first().waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}demo-docs-${scheme}.png`, animations: 'disabled' });

      await page.goto(`/p/vanguard/inspect/${taskId}`);
      await page.locator('[data-testid=statechart] .react-flow__node-state').first().waitFor();
      await page.locator('[data-testid=current-state]').waitFor();
      await page.screenshot({ path: `${SCREENSHOTS}demo-inspector-${scheme}.png`, animations: 'disabled' });
      await page.goto('/p/vanguard/inspect/jarvis:vanguard');
      // React Flow keeps a node hidden until it is measured; a busy machine can take a while.
      await page.locator('[data-testid=statechart] [data-testid=state-idle]').waitFor({ timeout: LIFE_MS });
      await page.screenshot({ path: `${SCREENSHOTS}demo-inspector-agent-${scheme}.png`, animations: 'disabled' });
      expect(errors).toEqual([]);
    }
  });
});
