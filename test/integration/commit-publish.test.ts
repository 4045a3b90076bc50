import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActorSnapshotMessage, InboxMessage } from '../../src/actors/bus/payloads.js';
import type { Bus, BusMessage } from '../../src/actors/bus/types.js';
import type { CommittedEvent, TaskView } from '../../src/core/index.js';
import { agentBy, openRuntime, type RuntimeFixture } from '../support/runtime-fixture.js';
import { MemoryBroker } from '../../src/actors/bus/memory.js';
import { memoryTransport, natsTransport, waitUntil } from '../support/bus-transports.js';

/**
 * What a real runtime publishes after each commit (DESIGN "Data flow" step 6), in the bus
 * contract's style: the same behaviour on the in-process bus and on a real nats-server. A
 * subscriber to one project's snapshot and inbox subjects hears that project's commits only.
 */
const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each([memoryTransport(), natsTransport()])('commits published on the bus: $name', (harness) => {
  const open: Bus[] = [];
  let runtime: RuntimeFixture | null = null;
  const connect = async (): Promise<Bus> => {
    const bus = await harness.connect();
    open.push(bus);
    return bus;
  };

  beforeAll(() => harness.start());
  afterAll(() => harness.stop());
  afterEach(async () => {
    await runtime?.dispose();
    runtime = null;
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  /** A runtime on its own connection with projects alpha and beta, each with an instance of shuri. */
  async function twoProjects(): Promise<RuntimeFixture> {
    runtime = await openRuntime({ scheduling: false, bus: await connect() });
    await runtime.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
    for (const p of ['alpha', 'beta']) {
      await runtime.exec('project.init', { project_name: p, base_id: ['shuri'] });
      await runtime.exec('task.create', { project_id: p, title: `${p} reactor`, assignee_id: 'shuri' });
    }
    return runtime;
  }

  it("publishes a task's snapshot on mc.<p>.snap.task.<id> after a move, with the move's seq, and nothing of another project", async () => {
    const f = await twoProjects();
    const observer = await connect();
    const snaps: BusMessage[] = [];
    const events: CommittedEvent[] = [];
    observer.subscribe('mc.alpha.snap.task.*', (m) => snaps.push(m));
    observer.subscribe('mc.alpha.evt', (m) => events.push(...m.json<CommittedEvent[]>()));
    await observer.flush();

    await f.exec('task.move', { task_id: 'beta-1', new_status: 'in_progress' }, agentBy('shuri', 'beta'));
    await f.exec('task.move', { task_id: 'alpha-1', new_status: 'in_progress' }, agentBy('shuri', 'alpha'));
    const moved = (): CommittedEvent | undefined => events.find((e) => e.type === 'task.moved');
    await waitUntil('the snapshot and the event arrived', () => snaps.length === 1 && moved() !== undefined);
    await settle();

    expect(snaps).toHaveLength(1);
    const snap = snaps[0]!;
    expect(snap.subject).toBe('mc.alpha.snap.task.alpha-1');
    const body = snap.json<ActorSnapshotMessage>();
    expect(body).toMatchObject({ project_id: 'alpha', actor_kind: 'task', actor_id: 'alpha-1', state_value: 'in_progress' });
    expect((body.view as TaskView).status).toBe('in_progress');
    expect(body.view).toEqual(f.rt.repos.tasks.get('alpha-1'));
    // The commit's last seq of the project: the move and the instance taking the task.
    expect(snap.headers.seq).toBe(String(events.at(-1)!.seq));
    expect(moved()!.actor_id).toBe('alpha-1');
    expect(events.every((e) => e.project_id === 'alpha')).toBe(true);
  });

  it("publishes the agent's snapshot on mc.<p>.snap.agent.<soul_id>", async () => {
    const f = await twoProjects();
    const observer = await connect();
    const snaps: ActorSnapshotMessage[] = [];
    observer.subscribe('mc.alpha.snap.agent.shuri', (m) => snaps.push(m.json<ActorSnapshotMessage>()));
    await observer.flush();

    await f.exec('task.move', { task_id: 'alpha-1', new_status: 'in_progress' }, agentBy('shuri', 'alpha'));
    await waitUntil('the agent snapshot arrived', () => snaps.length === 1);
    expect(snaps[0]).toMatchObject({ project_id: 'alpha', actor_kind: 'agent', actor_id: 'shuri:alpha', view: { current_task_id: 'alpha-1' } });
  });

  it('publishes a notification on mc.<p>.inbox.<soul_id> for a message sent to that soul, and nothing of another project', async () => {
    const f = await twoProjects();
    const observer = await connect();
    const heard: BusMessage[] = [];
    observer.subscribe('mc.alpha.inbox.shuri', (m) => heard.push(m));
    const anywhereInAlpha: string[] = [];
    observer.subscribe('mc.alpha.>', (m) => anywhereInAlpha.push(m.subject));
    await observer.flush();

    await f.exec('message.send', { project_id: 'beta', to: 'shuri', text: 'beta only' });
    await f.exec('message.send', { project_id: 'alpha', to: 'shuri', text: 'Check the coolant' });
    await waitUntil('the notification arrived', () => heard.length === 1);
    await settle();

    expect(heard).toHaveLength(1);
    const inbox = heard[0]!.json<InboxMessage>();
    const [stored] = f.rt.repos.messages.pending('shuri:alpha');
    expect(inbox).toEqual({
      project_id: 'alpha',
      instance_id: 'shuri:alpha',
      notification_id: stored!.id,
      kind: stored!.kind,
      body: stored!.body,
      task_id: null,
      message_id: stored!.message_id,
      created_at: stored!.created_at,
    });
    expect(inbox.body).toContain('Check the coolant');
    expect(anywhereInAlpha.every((s) => s.startsWith('mc.alpha.'))).toBe(true);
    expect(anywhereInAlpha).toContain('mc.alpha.inbox.shuri');
  });
});

describe('commits published on the in-process bus with nobody listening', () => {
  it('builds and publishes nothing', async () => {
    const bus = new MemoryBroker().connect();
    const published: string[] = [];
    const publish = bus.publish.bind(bus);
    bus.publish = (subject, data, headers) => {
      published.push(subject);
      publish(subject, data, headers);
    };
    const f = await openRuntime({ scheduling: false, bus });
    try {
      await f.exec('soul.create', { soul_id: 'shuri', name: 'Shuri' });
      await f.exec('project.init', { project_name: 'alpha', base_id: ['shuri'] });
      await f.exec('task.create', { project_id: 'alpha', title: 'Quiet', assignee_id: 'shuri' });
      await f.exec('task.move', { task_id: 'alpha-1', new_status: 'in_progress' }, agentBy('shuri', 'alpha'));
      await f.exec('message.send', { project_id: 'alpha', to: 'shuri', text: 'nobody hears this on the bus' });
      await f.rt.settled();
      expect(published).toEqual([]);
      expect(bus.hasSubscribers('mc.alpha.snap.task.alpha-1')).toBe(false);
      const other = new MemoryBroker().connect();
      expect(other.hasSubscribers('mc.alpha.evt')).toBe(false);
    } finally {
      await f.dispose();
    }
  });

  it('tells a subject with a literal or a wildcard subscriber from one without', () => {
    const broker = new MemoryBroker();
    const [a, b] = [broker.connect(), broker.connect()];
    const literal = b.subscribe('mc.alpha.inbox.shuri', () => undefined);
    b.subscribe('mc.*.snap.task.>', () => undefined);
    expect(a.hasSubscribers('mc.alpha.inbox.shuri')).toBe(true);
    expect(a.hasSubscribers('mc.alpha.inbox.wanda')).toBe(false);
    expect(a.hasSubscribers('mc.beta.snap.task.beta-1')).toBe(true);
    expect(a.hasSubscribers('mc.beta.snap.agent.shuri')).toBe(false);
    literal.unsubscribe();
    expect(a.hasSubscribers('mc.alpha.inbox.shuri')).toBe(false);
  });
});
