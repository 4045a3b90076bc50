import { z } from 'zod';
import { MissionError } from '../../core/index.js';
import type { MissionPlugin } from '../plugins.js';
import { CommandDriver } from './command.js';
import { OpenClawDriver } from './openclaw/index.js';
import { SimulatedDriver } from './simulated/index.js';

/**
 * The built-in drivers, registered the same way as a plugin's (src/actors/plugins.ts). Each
 * factory reads its own section of `drivers.<name>` in the configuration and returns null when
 * that section leaves the driver unconfigured, so it is simply not offered.
 */
const commandSection = z
  .object({ program: z.string().min(1).nullable().default(null), args: z.array(z.string()).default([]) })
  .passthrough();
const openClawSection = z
  .object({ url: z.string().nullable().default(null), token: z.string().nullable().default(null) })
  .passthrough();

const simulatedSection = z.object({ seed: z.number().int().default(1) }).passthrough();

function section<T extends z.ZodType>(schema: T, value: unknown, driver: string): z.output<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new MissionError('CONFIG_INVALID', `drivers.${driver}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const builtin: MissionPlugin = {
  name: 'builtin',
  drivers: {
    command: (ctx) => {
      const { program, args, ...rest } = section(commandSection, ctx.config, 'command');
      if (program === null) return null;
      return new CommandDriver(
        { ...rest, command: program, args },
        {
          ...(ctx.missionUrl ? { missionUrl: ctx.missionUrl } : {}),
          ...(ctx.onSpawn ? { onSpawn: ctx.onSpawn } : {}),
          ...(ctx.onExit ? { onExit: ctx.onExit } : {}),
        },
      );
    },
    // Offered wherever the server can call mission methods in-process (the demo and tests).
    simulated: (ctx) => {
      const { seed } = section(simulatedSection, ctx.config, 'simulated');
      if (!ctx.callMethod || !ctx.roster) return null;
      return new SimulatedDriver({ callMethod: ctx.callMethod, roster: ctx.roster, seed });
    },
    openclaw: (ctx) => {
      const { url, token, ...rest } = section(openClawSection, ctx.config, 'openclaw');
      if (url === null || token === null) return null;
      return new OpenClawDriver({ ...rest, url, token });
    },
  },
};

export default builtin;
