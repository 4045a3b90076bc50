/**
 * Manual check of Mission Control's OpenClaw driver against a real gateway (not run in CI).
 * Start a gateway (README "Verify against a real gateway"), then from the repository root:
 *   OPENCLAW_URL=ws://127.0.0.1:18789 OPENCLAW_TOKEN=<token> npx tsx integrations/openclaw/verify/real-gateway.mts
 * It creates the agent `shuri` with a SOUL.md, delivers one pulse, replays it, upgrades and
 * destroys the instance, printing each answer.
 */
import { OpenClawDriver } from '../../../src/actors/drivers/openclaw/index.js';
const driver = new OpenClawDriver({ url: process.env.OPENCLAW_URL ?? 'ws://127.0.0.1:18789', token: process.env.OPENCLAW_TOKEN ?? '', connectTimeoutMs: 30_000, requestTimeoutMs: 30_000, workspace: process.env.OPENCLAW_WORKSPACE ?? '/tmp/openclaw-verify/ws-{soul}' });
const pulseId = `verify-${Date.now()}`;
const shuri = { id: 'shuri:vanguard', soulId: 'shuri', projectId: 'vanguard', soulVersion: 1 };
const log = (what: string, v: unknown) => console.log(what, JSON.stringify(v).slice(0, 600));
try {
  await driver.connection.ready(60_000).catch((e) => log('ready failed', String(e)));
  log('health', driver.health());
  await driver.instanceCreated(shuri, '# Shuri\nA builder.').then(() => log('instanceCreated', 'ok'), (e) => log('instanceCreated FAILED', { code: e.code, message: e.message }));
  log('agents.list', await driver.connection.request('agents.list', {}, 10_000).then((l) => (l as { agents: { id: string }[] }).agents.map((a) => a.id), (e) => String(e)));
  log('files.get', await driver.connection.request('agents.files.get', { agentId: 'shuri', name: 'SOUL.md' }, 10_000).then((f) => (f as { file: unknown }).file, (e) => String(e)));
  const ac = new AbortController();
  const outcome = await driver.deliverPulse(shuri, 'Say hello.', { pulseId: pulseId, timeoutMs: 20_000, signal: ac.signal });
  log('pulse', outcome);
  const again = await driver.deliverPulse(shuri, 'Say hello.', { pulseId: pulseId, timeoutMs: 20_000, signal: ac.signal });
  log('pulse replay', again);
  await driver.instanceUpgraded(shuri, '# Shuri v2').then(() => log('instanceUpgraded', 'ok'), (e) => log('instanceUpgraded FAILED', { code: e.code, message: e.message }));
  await driver.instanceDestroyed(shuri, { otherInstancesOfSoul: 0 }).then(() => log('instanceDestroyed', 'ok'), (e) => log('instanceDestroyed FAILED', { code: e.code, message: e.message }));
  await new Promise((r) => setTimeout(r, 3000)); log('agents.list after', await driver.connection.request('agents.list', {}, 10_000).then((l) => (l as { agents: { id: string }[] }).agents.map((a) => a.id), (e) => String(e)));
} finally {
  await driver.close();
}
