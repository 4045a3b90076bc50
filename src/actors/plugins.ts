import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { isMissionError, MissionError } from '../core/index.js';
import builtin from './drivers/builtin.js';
import { withResilience, type ResilienceOptions } from './drivers/resilient.js';
import type { DriverFactory, DriverFactoryContext, ResilientDriver } from './drivers/types.js';

/**
 * Plugins (docs/plugins.md): a module listed in the `plugins` configuration default-exports
 * `{ name, drivers?, methods? }`. Drivers are factories keyed by driver name (what projects and
 * souls choose in their `driver` setting); methods are extra mission methods for the gateway's
 * registry. The built-in drivers are a plugin like any other (./drivers/builtin.ts).
 */
export interface MissionPlugin {
  name: string;
  drivers?: Record<string, DriverFactory>;
  /**
   * Mission method definitions (the gateway's `MethodDef`, built with its `defineMethod`). Kept
   * opaque here: the actors layer only carries them to the gateway's registry.
   */
  methods?: readonly PluginMethod[];
}

export interface PluginMethod {
  name: string;
  handler: (...args: never[]) => unknown;
  [key: string]: unknown;
}

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const pluginShape = z.object({
  name: z.string().regex(NAME_RE, 'must be 1-64 of a-z 0-9 _ -, starting with a letter or digit'),
  drivers: z
    .record(z.string().regex(NAME_RE, 'driver names must be 1-64 of a-z 0-9 _ -'), z.custom<DriverFactory>((v) => typeof v === 'function', 'must be a function (ctx) => AgentDriver | null'))
    .optional(),
  methods: z
    .array(
      z
        .object({
          name: z.string().regex(/^mission\.[a-z][a-z0-9_.]*$/, "must start with 'mission.'"),
          handler: z.custom<PluginMethod['handler']>((v) => typeof v === 'function', 'must be a function'),
        })
        .passthrough(),
    )
    .optional(),
});

/** Identity helper so a plugin module gets type checking: `export default definePlugin({...})`. */
export function definePlugin(plugin: MissionPlugin): MissionPlugin {
  return plugin;
}

/** Checks a module's default export; the error names the plugin and what is wrong. */
export function validatePlugin(value: unknown, source: string): MissionPlugin {
  const parsed = pluginShape.safeParse(value);
  if (!parsed.success) throw new MissionError('CONFIG_INVALID', `plugin ${source}: ${z.prettifyError(parsed.error)}`, { plugin: source });
  return parsed.data as MissionPlugin;
}

/**
 * Loads the built-in plugin and then each configured module, in order. Relative paths resolve
 * from `baseDir` (the working directory, as the configuration documents); bare names resolve
 * as packages. Any failure is a CONFIG_INVALID naming the module: a server never starts with
 * half of its plugins.
 */
export async function loadPlugins(specs: readonly string[], options: { baseDir?: string } = {}): Promise<MissionPlugin[]> {
  const baseDir = options.baseDir ?? process.cwd();
  const plugins: MissionPlugin[] = [builtin];
  for (const spec of specs) {
    const target = spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(baseDir, spec)).href : spec;
    let mod: { default?: unknown };
    try {
      mod = (await import(target)) as { default?: unknown };
    } catch (err) {
      throw new MissionError('CONFIG_INVALID', `plugin ${spec} could not be loaded: ${err instanceof Error ? err.message : String(err)}`, { plugin: spec });
    }
    plugins.push(validatePlugin(mod.default, spec));
  }
  assertUnique(plugins);
  return plugins;
}

function assertUnique(plugins: readonly MissionPlugin[]): void {
  const drivers = new Map<string, string>();
  const methods = new Map<string, string>();
  const names = new Set<string>();
  for (const plugin of plugins) {
    if (names.has(plugin.name)) throw new MissionError('CONFIG_INVALID', `two plugins are named ${plugin.name}`);
    names.add(plugin.name);
    for (const driver of Object.keys(plugin.drivers ?? {})) {
      const other = drivers.get(driver);
      if (other) throw new MissionError('CONFIG_INVALID', `driver ${driver} is defined by both ${other} and ${plugin.name}`);
      drivers.set(driver, plugin.name);
    }
    for (const method of plugin.methods ?? []) {
      const other = methods.get(method.name);
      if (other) throw new MissionError('CONFIG_INVALID', `method ${method.name} is defined by both ${other} and ${plugin.name}`);
      methods.set(method.name, plugin.name);
    }
  }
}

/**
 * Builds every configured driver, each behind retry + circuit breaker. `contextFor(name)` gives
 * a driver its configuration section and runtime callbacks; a factory returning null (not
 * configured) leaves that driver out, and one that throws stops start-up with its name.
 */
export function createDrivers(
  plugins: readonly MissionPlugin[],
  contextFor: (driverName: string) => DriverFactoryContext,
  resilience: ResilienceOptions = {},
): Map<string, ResilientDriver> {
  const drivers = new Map<string, ResilientDriver>();
  for (const plugin of plugins) {
    for (const [name, factory] of Object.entries(plugin.drivers ?? {})) {
      let driver;
      try {
        driver = factory(contextFor(name));
      } catch (err) {
        if (isMissionError(err)) throw err;
        throw new MissionError('CONFIG_INVALID', `driver ${name} (plugin ${plugin.name}) failed to start: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (driver) drivers.set(name, withResilience(driver, resilience));
    }
  }
  return drivers;
}

/** Every plugin method, for the gateway's registry (`new MethodRegistry([...METHODS, ...these])`). */
export function pluginMethods(plugins: readonly MissionPlugin[]): PluginMethod[] {
  return plugins.flatMap((p) => [...(p.methods ?? [])]);
}

/**
 * Everything the server needs from configuration in one call: the plugins (built-in first),
 * every configured driver behind resilience, and the plugin methods for the gateway's registry.
 * `settings.drivers[name]` is handed to the factory of driver `name` as `ctx.config`.
 */
export async function startDrivers(
  settings: { drivers: Record<string, unknown>; plugins: readonly string[] },
  hooks: Omit<DriverFactoryContext, 'config'> = {},
  options: { baseDir?: string; resilience?: ResilienceOptions } = {},
): Promise<{ plugins: MissionPlugin[]; drivers: Map<string, ResilientDriver>; methods: PluginMethod[] }> {
  const plugins = await loadPlugins(settings.plugins, options.baseDir === undefined ? {} : { baseDir: options.baseDir });
  const drivers = createDrivers(plugins, (name) => ({ ...hooks, config: settings.drivers[name] }), options.resilience);
  return { plugins, drivers, methods: pluginMethods(plugins) };
}
