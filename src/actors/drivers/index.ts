export type * from './types.js';
export { withResilience, failedOutcome, DEFAULT_DRIVER_BREAKER, type ResilienceOptions } from './resilient.js';
export { CommandDriver, commandDriverConfig, groupAlive, terminateGroup, type CommandDriverConfig, type CommandDriverHooks } from './command.js';
export { OpenClawDriver, openClawDriverConfig, sessionKeyFor, instanceFromSessionKey, type OpenClawDriverConfig } from './openclaw/index.js';
export { default as builtinDrivers } from './builtin.js';
export { PulseCredentialIssuer, type PulseCredentialStore } from './pulse-credentials.js';
export { SimulatedDriver, demoSquad, planAssignments, rosterOf, type SimulatedDriverOptions, type SquadMember, type CallMethod, type DemoSquad } from './simulated/index.js';
