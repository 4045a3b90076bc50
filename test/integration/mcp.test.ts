import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok, startHarness, type Harness } from './rpc-harness.js';

/**
 * MCP (SPEC §5 "Tool manifest"): a client from the official SDK lists the mission tools and
 * calls log_event, over Streamable HTTP at /mcp (with an agent token, and a driver token naming
 * the instance) and over stdio (`mission-control mcp`).
 */
let h: Harness;
let taskId: string;
let agentToken: string;

const thoughts = (): string[] =>
  (h.store.db.prepare('SELECT thought FROM task_events WHERE task_id = ? ORDER BY id').all(taskId) as { thought: string }[]).map((r) => r.thought);

beforeAll(async () => {
  h = await startHarness();
  ok(await h.rpc(h.adminToken, 'mission.soul.create', { soul_id: 'shuri', name: 'Shuri' }));
  ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'MCP', project_id: 'mcp', base_id: ['shuri'] }));
  taskId = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'mcp', title: 'tooling', assignee_id: 'shuri' })).id;
  agentToken = h.agentToken('shuri:mcp');
  ok(await h.rpc(agentToken, 'mission.task.move', { task_id: taskId, new_status: 'in_progress' }));
});

afterAll(async () => {
  await h.close();
});

const PRD_TOOLS = ['log_event', 'distill_memory', 'request_help', 'update_chronicle'];

describe('MCP over Streamable HTTP (/mcp)', () => {
  it('lists the mission tools and calls log_event as the agent', async () => {
    const client = new Client({ name: 'mc-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${h.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${agentToken}` } } });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      for (const t of [...PRD_TOOLS, 'create_task', 'move_task', 'send_message']) expect(names).toContain(t);
      const logEvent = tools.find((t) => t.name === 'log_event')!;
      expect(logEvent.inputSchema.required?.slice().sort()).toEqual(['action', 'thought']);

      const result = await client.callTool({ name: 'log_event', arguments: { task_id: taskId, thought: 'via MCP over HTTP', action: 'reading' } });
      expect(result.isError).toBeFalsy();
      expect(thoughts()).toContain('via MCP over HTTP');

      // A refused call is a tool error, not a transport failure.
      const refused = await client.callTool({ name: 'move_task', arguments: { task_id: taskId, new_status: 'archived' } });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toContain('ILLEGAL_TRANSITION');
    } finally {
      await client.close();
    }
  });

  it('calls log_event with a driver token naming the instance it acts for', async () => {
    ok(await h.rpc(h.adminToken, 'mission.project.init', { project_name: 'MCP driven', project_id: 'mcp-driven', base_id: ['shuri'], settings: { driver: 'oc-mcp' } }));
    const task = ok<{ id: string }>(await h.rpc(h.adminToken, 'mission.task.create', { project_id: 'mcp-driven', title: 'driven', assignee_id: 'shuri' }));
    ok(await h.rpc(h.adminToken, 'mission.task.move', { task_id: task.id, new_status: 'in_progress' }));
    const client = new Client({ name: 'mc-test-driver', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${h.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${h.driverToken('oc-mcp')}` } } });
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: 'log_event', arguments: { task_id: task.id, thought: 'via MCP as a driver', action: 'reading', instance_id: 'shuri:mcp-driven' } });
      expect(result.isError).toBeFalsy();
      const rows = h.store.db.prepare('SELECT thought, instance_id FROM task_events WHERE task_id = ?').all(task.id);
      expect(rows).toContainEqual({ thought: 'via MCP as a driver', instance_id: 'shuri:mcp-driven' });

      // A driver must name the instance; one it does not serve is refused.
      const unnamed = await client.callTool({ name: 'log_event', arguments: { task_id: task.id, thought: 'whose?', action: 'reading' } });
      expect(unnamed.isError).toBe(true);
      expect(JSON.stringify(unnamed.content)).toContain('INVALID_INPUT');
      const foreign = await client.callTool({ name: 'log_event', arguments: { task_id: taskId, thought: 'not mine', action: 'reading', instance_id: 'shuri:mcp' } });
      expect(foreign.isError).toBe(true);
      expect(JSON.stringify(foreign.content)).toContain('FORBIDDEN');
    } finally {
      await client.close();
    }
  });

  it('refuses a missing token (401) and a human token (403)', async () => {
    const anon = await fetch(`${h.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(anon.status).toBe(401);
    const human = await fetch(`${h.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(human.status).toBe(403);
  });
});

describe('MCP over stdio (mission-control mcp)', () => {
  it('serves the same tools and forwards calls to the running server with the token', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', resolve('src/cli/main.ts'), 'mcp', '--token', agentToken, '--url', h.url],
      cwd: process.cwd(),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'mc-test-stdio', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      for (const t of PRD_TOOLS) expect(tools.map((x) => x.name)).toContain(t);
      const result = await client.callTool({ name: 'log_event', arguments: { task_id: taskId, thought: 'via MCP over stdio', action: 'testing' } });
      expect(result.isError).toBeFalsy();
      expect(thoughts()).toContain('via MCP over stdio');
    } finally {
      await client.close();
    }
  }, 60_000);
});
