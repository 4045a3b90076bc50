export * from './errors.js';
export * from './ids.js';
export * from './task-status.js';
export * from './clock.js';
export * from './principal.js';
export * from './views.js';
export * from './commands.js';
export * from './feed.js';
