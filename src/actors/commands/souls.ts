import { MissionError, type CommandParams, type SoulView } from '../../core/index.js';
import { soulContentHash } from '../../store/index.js';
import type { Handler } from './shared.js';

function defaultSoulMd(name: string, role: string, skills: string[]): string {
  return `# ${name}\n\nRole: ${role}\n${skills.length ? `\nSkills: ${skills.join(', ')}\n` : ''}`;
}

/** mission.soul.create: a global agent class, version 1. */
export const createSoul: Handler<CommandParams<'soul.create'>> = (rt, unit, p) => {
  if (rt.repos.souls.get(p.soul_id)) throw new MissionError('CONFLICT', `soul ${p.soul_id} already exists`, { soul_id: p.soul_id });
  const role = p.role ?? 'agent';
  const skills = p.skills ?? [];
  const soulMd = p.soul_md ?? defaultSoulMd(p.name, role, skills);
  unit.before.push((repos) => repos.souls.create({ id: p.soul_id, name: p.name, role, skills, soulMd, at: unit.now }));
  const view: SoulView = { id: p.soul_id, name: p.name, role, skills, version: 1, soul_md: soulMd };
  unit.addEffectKey(`soul:${p.soul_id}`);
  unit.afterCommit.push(() => rt.files.soulWritten(p.soul_id, soulMd));
  return view;
};

/** mission.soul.update: a changed SOUL.md (by content hash) is a new version. */
export const updateSoul: Handler<CommandParams<'soul.update'>> = (rt, unit, p) => {
  const current = rt.repos.souls.get(p.soul_id);
  if (!current) throw new MissionError('NOT_FOUND', `soul ${p.soul_id} does not exist`, { soul_id: p.soul_id });
  const changed = p.soul_md !== undefined && soulContentHash(p.soul_md) !== soulContentHash(current.soul_md);
  const view: SoulView = {
    id: current.id,
    name: p.name ?? current.name,
    role: p.role ?? current.role,
    skills: p.skills ?? current.skills,
    version: changed ? current.version + 1 : current.version,
    soul_md: changed ? p.soul_md! : current.soul_md,
  };
  unit.before.push((repos) =>
    repos.souls.update({ id: view.id, name: view.name, role: view.role, skills: view.skills, version: view.version, newSoulMd: changed ? view.soul_md : null, at: unit.now }),
  );
  unit.addEffectKey(`soul:${view.id}`);
  unit.afterCommit.push(async () => {
    rt.soulChanged(view.id, view.name, view.role);
    if (changed) await rt.files.soulWritten(view.id, view.soul_md);
  });
  return view;
};
