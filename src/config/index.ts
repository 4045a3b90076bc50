export * from './package-root.js';
export * from './schema.js';
export * from './settings.js';
export * from './load.js';
export * from './project-settings.js';
export * from './source.js';
export * from './logger.js';
