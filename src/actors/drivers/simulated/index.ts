export { SimulatedDriver, type SimulatedDriverOptions } from './driver.js';
export { runPulse, BEHAVIOUR, type CallMethod, type PulseInput } from './brain.js';
export { planAssignments, skillMatch, type SquadMember } from './squad.js';
export { seededRng, type Rng } from './prng.js';
export { demoSquad, type DemoSquad, type DemoSoul, type DemoTask } from './demo-squad.js';
