import { MissionError } from '../core/index.js';
import { projectSettingsSchema, type ProjectSettings } from './schema.js';

/**
 * A project's effective settings: the server's `projects.defaults` with the project's overrides,
 * validated by the same rules as the defaults (including SPEC §4's deadman floor). Bad overrides
 * throw INVALID_INPUT naming each key.
 */
export function resolveProjectSettings(defaults: ProjectSettings, overrides: Partial<ProjectSettings> | null | undefined = {}): ProjectSettings {
  const result = projectSettingsSchema.safeParse({ ...defaults, ...(overrides ?? {}) });
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const key = i.path.map(String).join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : 'settings');
    return { key, message: i.message };
  });
  throw new MissionError(
    'INVALID_INPUT',
    `invalid project settings: ${problems.map((p) => (p.message.startsWith(p.key) ? p.message : `${p.key}: ${p.message}`)).join('; ')}`,
    { issues: problems, keys: problems.map((p) => p.key) },
  );
}

/** The name docs/architecture.md gives the same function. */
export const projectSettings = resolveProjectSettings;
