import { MissionError, settingsPatch, type CommandParams, type ProjectSettings } from '../../core/index.js';
import { askAssigneeToDistill } from './distill-on-done.js';
import { checkProjectSettings } from './projects.js';
import { syncHolder, taskContext, type Handler } from './shared.js';

/** mission.inspect.send: an operator sends a machine event; the machine's guards decide. */
export const inspectSend: Handler<CommandParams<'inspect.send'>> = (rt, unit, p, by) => {
  const entry = rt.host.find(p.actor_id);
  if (!entry) throw new MissionError('NOT_FOUND', `actor ${p.actor_id} does not exist`, { actor_id: p.actor_id });
  const event = { ...p.event, by };
  rt.host.check(entry, event);
  const settings = entry.spec.kind === 'project' && event.type === 'settings_changed' ? explicitSettings(rt.settings(entry.id), rt.explicitSettings(entry.id), event) : null;
  const before = entry.spec.kind === 'task' ? taskContext(rt, entry).assignee_id : null;
  const statusBefore = rt.host.snapshot(entry).value;
  rt.host.apply(unit, entry, event, `${entry.spec.kind}.inspect_sent`);
  if (entry.spec.kind === 'task') {
    syncHolder(rt, unit, entry, before);
    askAssigneeToDistill(rt, unit, entry, statusBefore);
  }
  if (settings) {
    // The runtime reads settings as defaults under the explicit ones: the change becomes explicit.
    unit.after.push((repos) => {
      repos.projects.setSettings(entry.id, settings, unit.now);
      rt.setOverrides(entry.id, settings);
    });
  }
  return { actor_id: entry.id, state_value: rt.host.snapshot(entry).value, view: rt.host.view(entry) ?? null };
};

/** A settings change, validated like project.init's (types, ranges, the deadman rule). */
function explicitSettings(effective: ProjectSettings, explicit: Partial<ProjectSettings>, event: Record<string, unknown>): Partial<ProjectSettings> {
  const parsed = settingsPatch.safeParse(event.settings);
  if (!parsed.success) throw new MissionError('INVALID_INPUT', `settings: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`, { param: 'event.settings' });
  const change = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as Partial<ProjectSettings>;
  checkProjectSettings({ ...effective, ...change });
  return { ...explicit, ...change };
}
