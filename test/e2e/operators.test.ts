import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { E2E_PROJECT, E2E_USERS } from './support/fixtures.js';
import { cardIn, openBoard, signIn, type SignedIn } from './support/pages.js';
import { buildWeb, startServer, type E2EServer } from './support/server.js';

// Operators' views (SPEC §4, §6, §11): agent cards and their actions, documents, keyboard access.
const P = E2E_PROJECT.id;

let server: E2EServer;
let browser: Browser;
const sessions: SignedIn[] = [];

async function session(user: { username: string; password: string }): Promise<SignedIn> {
  const s = await signIn(browser, server.url, user);
  sessions.push(s);
  return s;
}

interface AgentLike {
  state: string;
  soul_version: number;
  last_pulse_at: number | null;
}

async function agent(id: string): Promise<AgentLike> {
  return server.rpc<AgentLike>('mission.agent.get', { instance_id: id });
}

async function agentState(id: string): Promise<string> {
  return (await agent(id)).state;
}

beforeAll(async () => {
  buildWeb();
  server = await startServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const s of sessions) await s.context.close().catch(() => undefined);
  await browser?.close();
  await server?.stop();
});

describe('operator views against a real server', () => {
  it('pauses and resumes an agent from its card, and destroys it only after confirmation', async () => {
    const { page, errors } = await session(E2E_USERS.admin);
    await page.goto(`/p/${P}/agents`);
    const jarvis = page.locator(`[data-testid="agent-jarvis:${P}"]`);
    await jarvis.waitFor();
    expect(await jarvis.getAttribute('data-state')).toBe('idle');
    expect(await jarvis.innerText()).toContain('Next pulse');

    await jarvis.getByRole('button', { name: 'Pause' }).click();
    await page.locator(`[data-testid="agent-jarvis:${P}"][data-state=paused]`).waitFor({ timeout: 3000 });
    expect(await agentState(`jarvis:${P}`)).toBe('paused');
    // A paused instance is not pulsed (SPEC §4): no countdown, the card says what brings it back.
    expect(await jarvis.locator('[data-testid=next-pulse]').innerText()).toBe('after resume');
    // The change shows up in the activity feed, pushed by the server.
    await page.locator('[data-testid=activity-feed] li', { hasText: 'agent.paused' }).waitFor({ timeout: 3000 });

    await jarvis.getByRole('button', { name: 'Resume' }).click();
    await page.locator(`[data-testid="agent-jarvis:${P}"][data-state=idle]`).waitFor({ timeout: 3000 });
    expect(await jarvis.locator('[data-testid=next-pulse]').innerText()).toMatch(/^in \d|ago$|^now$/);

    const shuri = page.locator(`[data-testid="agent-shuri:${P}"]`);
    await shuri.getByRole('button', { name: 'Destroy' }).click();
    const confirm = page.locator('[data-testid=confirm-dialog]');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await agentState(`shuri:${P}`)).not.toBe('destroyed');
    await shuri.getByRole('button', { name: 'Destroy' }).click();
    await confirm.getByRole('button', { name: 'Destroy' }).click();
    await page.locator(`[data-testid="agent-shuri:${P}"][data-state=destroyed]`).waitFor({ timeout: 3000 });
    expect(await agentState(`shuri:${P}`)).toBe('destroyed');
    expect(errors).toEqual([]);
  });

  it('"Pulse now" pulses the agent at once: a new pulse shows on its card and in the feed', async () => {
    const { page, errors } = await session(E2E_USERS.admin);
    await page.goto(`/p/${P}/agents`);
    const jarvis = page.locator(`[data-testid="agent-jarvis:${P}"]`);
    await jarvis.waitFor();
    const before = (await agent(`jarvis:${P}`)).last_pulse_at;
    // Pulses of the fixture are a day apart: the last one, if any, is not from this minute.
    expect(await jarvis.locator('[data-testid=last-pulse]').innerText()).not.toMatch(/^now$|^\d+s ago$/);
    const clicked = Date.now();
    await jarvis.getByRole('button', { name: 'Pulse now' }).click();
    await page.locator('[data-testid=activity-feed] li', { hasText: 'agent.pulse_started' }).filter({ hasText: `jarvis:${P}` }).waitFor({ timeout: 3000 });
    await expect.poll(() => jarvis.locator('[data-testid=last-pulse]').innerText(), { timeout: 3000 }).toMatch(/^now$|^\d+s ago$/);
    const after = (await agent(`jarvis:${P}`)).last_pulse_at;
    expect(after).not.toBe(before);
    expect(after!).toBeGreaterThanOrEqual(clicked - 1000);
    expect(errors).toEqual([]);
  });

  it('"Upgrade" applies the soul\'s new SOUL.md version and the card shows it', async () => {
    const { page, errors } = await session(E2E_USERS.admin);
    await page.goto(`/p/${P}/agents`);
    const jarvis = page.locator(`[data-testid="agent-jarvis:${P}"]`);
    await jarvis.waitFor();
    const current = (await agent(`jarvis:${P}`)).soul_version;
    expect(await jarvis.locator('[data-testid=soul-version]').innerText()).toMatch(new RegExp(`^v${current} · `));
    // An update of the soul is a new version (SPEC §5); the instance runs the old one until upgraded.
    await server.rpc('mission.soul.update', { soul_id: 'jarvis', name: 'Jarvis', soul_md: '# jarvis\n\nAlso double-checks the fuel margins.\n' });
    const next = current + 1;
    await jarvis.getByRole('button', { name: 'Upgrade' }).click();
    await page.locator('[data-testid=activity-feed] li', { hasText: 'agent.upgraded' }).filter({ hasText: `jarvis:${P}` }).waitFor({ timeout: 5000 });
    await jarvis.locator('[data-testid=soul-version]', { hasText: new RegExp(`^v${next} · `) }).waitFor({ timeout: 3000 });
    await page.locator(`[data-testid="agent-jarvis:${P}"][data-state=idle]`).waitFor({ timeout: 3000 });
    expect((await agent(`jarvis:${P}`)).soul_version).toBe(next);
    expect(errors).toEqual([]);
  });

  it('creates a project with souls from the overview and lands on its board', async () => {
    const { page, errors } = await session(E2E_USERS.admin);
    await page.locator(`[data-testid=project-${P}]`).waitFor();
    await page.locator('[data-testid=new-project]').click();
    const dialog = page.locator('[data-testid=create-project-dialog]');
    await dialog.locator('input[name=project_name]').fill('Gemini Program');
    // Existing souls are offered as toggles; picking one fills the list of ids.
    await dialog.locator('.chip', { hasText: 'jarvis' }).click();
    expect(await dialog.locator('input[name=base_id]').inputValue()).toBe('jarvis');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL('**/p/gemini-program');
    await page.locator('[data-testid=board]').waitFor();
    await page.locator('nav.tabs').getByRole('link', { name: 'Agents' }).click();
    await page.locator('[data-testid="agent-jarvis:gemini-program"]').waitFor();
    const projects = await server.rpc<{ projects: { id: string }[] }>('mission.project.list', {});
    expect(projects.projects.map((p) => p.id)).toContain('gemini-program');
    expect(errors).toEqual([]);
  });

  it('an owner sends an allowed event from the inspector and the chart follows', async () => {
    const created = await server.rpc<{ id: string }>('mission.task.create', { project_id: P, title: 'Retire the old antenna' });
    const { page, errors } = await session(E2E_USERS.admin);
    await page.goto(`/p/${P}/inspect/${created.id}`);
    await page.locator('[data-testid="state-backlog"][data-active=true]').waitFor();
    // Only events the current state accepts are offered.
    const offered = await page.locator('[data-testid=send-event-type] option').allInnerTexts();
    expect(offered).toContain('archive');
    expect(offered).not.toContain('approve');
    await page.locator('[data-testid=send-event-type]').selectOption('archive');
    await page.getByRole('button', { name: 'Send event' }).click();
    await page.locator('[data-testid="state-archived"][data-active=true]').waitFor({ timeout: 3000 });
    expect((await server.rpc<{ task: { status: string } }>('mission.task.get', { task_id: created.id })).task.status).toBe('archived');
    expect(errors).toEqual([]);
  });

  it('comments on a task with an @mention completed from the squad', async () => {
    const created = await server.rpc<{ id: string }>('mission.task.create', { project_id: P, title: 'Plan the splashdown' });
    const { page, errors } = await session(E2E_USERS.admin);
    await page.goto(`/p/${P}/t/${created.id}`);
    const box = page.locator('[data-testid=task-drawer] textarea[name=comment]');
    await box.click();
    await page.keyboard.type('Please review this @jar');
    await page.locator('.mention-menu button', { hasText: '@jarvis' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.type('before Friday');
    expect(await box.inputValue()).toBe('Please review this @jarvis before Friday');
    await page.locator('[data-testid=task-drawer]').getByRole('button', { name: 'Comment', exact: true }).click();
    const comment = page.locator('.comment', { hasText: 'Please review this' });
    await comment.waitFor({ timeout: 3000 });
    expect(await comment.locator('.mention').innerText()).toBe('@jarvis');
    expect(await box.inputValue()).toBe('');
    expect(errors).toEqual([]);
  });

  it('a viewer sees agent cards without any action button', async () => {
    const { page, errors } = await session(E2E_USERS.viewer);
    await page.goto(`/p/${P}/agents`);
    const jarvis = page.locator(`[data-testid="agent-jarvis:${P}"]`);
    await jarvis.waitFor();
    for (const name of ['Pause', 'Resume', 'Pulse now', 'Upgrade', 'Destroy']) expect(await jarvis.getByRole('button', { name }).count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('lists the project documents and renders KANBAN.md and an agent SOUL.md as markdown', async () => {
    const { page, errors } = await session(E2E_USERS.admin);
    await page.goto(`/p/${P}/docs`);
    for (const name of ['KANBAN.md', 'CHRONICLE.md', 'agents/jarvis/SOUL.md', 'agents/jarvis/working.md', 'agents/jarvis/learned.md']) {
      await page.locator('a.doc-link', { hasText: name }).waitFor();
    }
    await page.locator('a.doc-link', { hasText: 'KANBAN.md' }).click();
    const view = page.locator('[data-testid=doc-view] .markdown');
    // Rendered, not shown as source: the title is a heading and the columns are sub-headings.
    await view.locator('h1', { hasText: 'Kanban: Apollo' }).waitFor({ timeout: 5000 });
    expect(await view.locator('h2', { hasText: 'Backlog' }).count()).toBe(1);
    expect(await view.innerText()).not.toContain('## Backlog');
    await page.locator('a.doc-link', { hasText: 'agents/jarvis/SOUL.md' }).click();
    await view.locator('h1', { hasText: 'jarvis' }).waitFor({ timeout: 5000 });
    expect(page.url()).toContain(`/p/${P}/docs/agents/jarvis/SOUL.md`);
    expect(errors).toEqual([]);
  });

  it('drives the board from the keyboard: ? lists shortcuts, arrows move focus, Enter opens, Shift+→ moves', async () => {
    const created = await server.rpc<{ id: string }>('mission.task.create', { project_id: P, title: 'Keyboard task', priority: 1 });
    const second = await server.rpc<{ id: string }>('mission.task.create', { project_id: P, title: 'Second keyboard task', priority: 2 });
    const { page, errors } = await session(E2E_USERS.admin);
    await openBoard(page, P);
    await page.locator('body').press('?');
    await page.locator('[data-testid=shortcuts-dialog][open]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=shortcuts-dialog][open]').waitFor({ state: 'detached' });

    // Priority 1 sorts first in Backlog: focus it, then walk down and back up.
    const first = page.locator('[data-testid=column-backlog] .task-card').first();
    expect(await first.getAttribute('data-task-id')).toBe(created.id);
    await first.focus();
    await page.keyboard.press('ArrowDown');
    const focused = (): Promise<string | null> =>
      page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }).document.activeElement.getAttribute('data-task-id'));
    expect(await focused()).toBe(second.id);
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toBe(created.id);
    await page.keyboard.press('Shift+ArrowRight');
    await cardIn(page, 'in_progress', created.id).waitFor({ timeout: 3000 });
    // The card moves at once (optimistic); the server commits it a moment later.
    await page.locator(`[data-testid="card-${created.id}"]:not(.pending)`).waitFor({ timeout: 3000 });
    await expect
      .poll(async () => (await server.rpc<{ task: { status: string } }>('mission.task.get', { task_id: created.id })).task.status, { timeout: 3000 })
      .toBe('in_progress');
    await cardIn(page, 'in_progress', created.id).waitFor({ timeout: 3000 });
    await cardIn(page, 'in_progress', created.id).focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=task-drawer]').waitFor();
    expect(page.url()).toContain(`/p/${P}/t/${created.id}`);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=task-drawer]').waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  });
});
