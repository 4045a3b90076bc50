import type { CliCommand } from '../command.js';
import { backupCommand } from './backup.js';
import { checkCommand } from './check.js';
import { migrateCommand } from './migrate.js';
import { restoreCommand } from './restore.js';
import { serveCommand } from './serve.js';
import { userCommand } from './user.js';
import { tokenCommand } from './token.js';
import { mcpCommand } from './mcp.js';

/** Every `mission-control` command, in help order. Adding a command is one line here. */
export const COMMANDS: CliCommand[] = [
  serveCommand,
  migrateCommand,
  backupCommand,
  restoreCommand,
  checkCommand,
  userCommand,
  tokenCommand,
  mcpCommand,
];
