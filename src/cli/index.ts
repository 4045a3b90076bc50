export { main } from './main.js';
export { type CliCommand, type CliContext, UsageError, EXIT } from './command.js';
