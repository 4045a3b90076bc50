export { runSeed, Simulation, type SimOptions, type SimResult } from './simulation.js';
export { replayCommand } from './plan.js';
export type { Violation, ProjectPlan } from './audit.js';
export { parseKanban, COLUMN_STATUS, type ParsedKanban, type ParsedCard } from './kanban-parse.js';
export { SimRng } from './rng.js';
