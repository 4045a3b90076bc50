#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMissionError } from '../core/index.js';
import { packageVersion } from '../config/index.js';
import { EXIT, UsageError, type CliCommand, type CliContext } from './command.js';
import { COMMANDS } from './commands/index.js';

function commandHelp(cmd: CliCommand): string {
  const synopsis = cmd.usage.map((u) => `  mission-control ${cmd.name}${u ? ` ${u}` : ''}`).join('\n');
  return `${cmd.summary}\n\nUsage:\n${synopsis}\n${cmd.details ? `\n${cmd.details}\n` : ''}`;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `mission-control ${packageVersion()} — control plane for squads of AI agents`,
    '',
    'Usage: mission-control <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `mission-control <command> --help` for the options of one command.',
    'Exit codes: 0 ok, 1 failure, 2 usage error.',
    '',
  ].join('\n');
}

export interface MainIo {
  out?: (line: string) => void;
  err?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs one CLI invocation and returns its exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? err : out)(overview());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    out(packageVersion());
    return EXIT.ok;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    err(`mission-control: unknown command "${name}"\n\n${overview()}`);
    return EXIT.usage;
  }
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.values.help) {
      out(commandHelp(cmd));
      return EXIT.ok;
    }
    const range = cmd.positionals ?? { min: 0, max: 0 };
    if (parsed.positionals.length < range.min || parsed.positionals.length > range.max) {
      throw new UsageError(
        parsed.positionals.length < range.min ? 'missing argument' : `unexpected argument "${parsed.positionals[range.max]}"`,
      );
    }
    const ctx: CliContext = {
      values: parsed.values,
      positionals: parsed.positionals,
      out,
      err,
      env: io.env ?? process.env,
      cwd: io.cwd ?? process.cwd(),
    };
    return await cmd.run(ctx);
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`mission-control ${cmd.name}: ${(e as Error).message}\n\n${commandHelp(cmd)}`);
      return EXIT.usage;
    }
    if (isMissionError(e)) {
      err(`mission-control ${cmd.name}: ${e.code}: ${e.message}`);
      return EXIT.failure;
    }
    const sysCode = (e as NodeJS.ErrnoException).code;
    // System errors (EADDRINUSE, EACCES, …) speak for themselves; anything else is a bug: show the stack.
    err(`mission-control ${cmd.name}: ${typeof sysCode === 'string' && /^E[A-Z]+$/.test(sysCode) ? `${sysCode}: ${(e as Error).message}` : ((e as Error).stack ?? String(e))}`);
    return EXIT.failure;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // exitCode, not exit(): let a serving process finish its own shutdown and stdout flush.
  process.exitCode = await main(process.argv.slice(2));
}
