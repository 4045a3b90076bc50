/** The bus folder's public face: the Bus contract, both implementations, subjects, the runtime transport. */
export type { Bus, BusMessage, BusStatus, BusSubscription } from './types.js';
export { MemoryBroker, MemoryBus, createMemoryBus, type MemoryBrokerOptions } from './memory.js';
export { NatsBus, createNatsBus, type NatsBusOptions } from './nats.js';
export * as subjects from './subjects.js';
export { commandSubject, type CommandReply } from './command-route.js';
export { RemoteRuntime, type RemoteRuntimeOptions } from './remote-runtime.js';
export { serveRuntimeOverBus, type RuntimeService, type ServeRuntimeOptions } from './serve-runtime.js';
export { DEFAULT_MAX_PAYLOAD, type HandlerErrorReporter } from './message.js';
export { publishCommittedEvents } from './publish-events.js';
export type { ActorSnapshotMessage, InboxMessage } from './payloads.js';
