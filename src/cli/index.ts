export { main } from './main.js';
export { startServer, type RunningServer, type ServerContext } from './serve.js';
export { type CliCommand, type CliContext, UsageError, EXIT } from './command.js';
