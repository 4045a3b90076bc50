export * from './package-root.js';
