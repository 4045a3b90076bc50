import { MemoryBroker } from '../../src/actors/bus/memory.js';
import { createNatsBus } from '../../src/actors/bus/nats.js';
import type { Bus } from '../../src/actors/bus/types.js';
import { startNatsServer, type NatsServerHandle } from './nats.js';

/** Errors thrown by subscription handlers, collected instead of logged. */
export type HandlerErrors = { err: unknown; subject: string }[];

/**
 * The two buses one behaviour suite runs against: the in-process one and a real nats-server
 * started on a free loopback port (stopped by pid in `stop`).
 */
export interface BusTransport {
  name: string;
  start(): Promise<void>;
  connect(errors?: HandlerErrors): Promise<Bus>;
  stop(): Promise<void>;
}

export function memoryTransport(): BusTransport {
  let broker = new MemoryBroker();
  return {
    name: 'memory',
    start: () => {
      broker = new MemoryBroker();
      return Promise.resolve();
    },
    connect: (errors) => Promise.resolve(broker.connect(errors ? { onHandlerError: (err, subject) => errors.push({ err, subject }) } : {})),
    stop: () => Promise.resolve(),
  };
}

export function natsTransport(): BusTransport {
  let server: NatsServerHandle | null = null;
  return {
    name: 'nats',
    start: async () => {
      server = await startNatsServer();
    },
    connect: async (errors) => {
      const bus = createNatsBus({
        servers: server!.url,
        reconnectTimeWaitMs: 100,
        ...(errors ? { onHandlerError: (err: unknown, subject: string) => errors.push({ err, subject }) } : {}),
      });
      await bus.ready(10_000);
      return bus;
    },
    stop: async () => {
      await server?.stop();
      server = null;
    },
  };
}

export async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
