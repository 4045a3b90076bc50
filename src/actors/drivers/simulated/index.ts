export { SimulatedDriver, type SimulatedDriverOptions } from './driver.js';
export { runPulse, BEHAVIOUR, BACKLOG_LOW_WATER, type CallMethod, type PulseInput } from './brain.js';
export { planAssignments, skillMatch, type SquadMember } from './squad.js';
export { seededRng, type Rng } from './prng.js';
export { demoSquad, DEMO_PROJECT_ID, type DemoSquad, type DemoSoul, type DemoTask, type PoolTask } from './demo-squad.js';
export { rosterOf } from './roster.js';
