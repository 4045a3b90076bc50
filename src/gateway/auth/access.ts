import { MissionError, type By, type Principal, type ProjectRole } from '../../core/index.js';
import type { ActingAgent, CallerRole, MethodDef, Services } from '../registry/method.js';

const RANK: Record<ProjectRole, number> = { viewer: 1, member: 2, owner: 3 };

export interface Access {
  by: By;
  agent: ActingAgent | undefined;
  projectId: string | null;
}

function forbidden(method: string, why: string, data: Record<string, unknown> = {}): MissionError {
  return new MissionError('FORBIDDEN', `${method}: ${why}`, { method, ...data });
}

const HUMAN_ROLES: readonly CallerRole[] = ['owner', 'member', 'viewer'];

/**
 * Decides whether `principal` may call `def` with `params` (SPEC §5 roles) and builds the `By`
 * the runtime sees. Admins may do everything; humans need the method's role in the project the
 * call concerns; agents act only as themselves, in their project; drivers act for an instance
 * they serve, named in each call.
 */
export function authorize(def: MethodDef, params: Record<string, unknown>, principal: Principal, services: Services): Access {
  if (principal.kind === 'user') return authorizeUser(def, params, principal, services);
  if (principal.kind === 'agent' || principal.kind === 'driver') return authorizeAgent(def, params, principal, services);
  throw forbidden(def.name, 'the runtime does not call through the gateway');
}

function authorizeUser(def: MethodDef, params: Record<string, unknown>, user: Extract<Principal, { kind: 'user' }>, services: Services): Access {
  const humanRoles = def.roles.filter((r) => HUMAN_ROLES.includes(r));
  if (!user.isAdmin && humanRoles.length === 0) throw forbidden(def.name, 'only agents call this method');
  const project = def.project(params, services);
  const human = (role: Extract<By, { kind: 'human' }>['role']): By => ({ kind: 'human', userId: user.userId, username: user.username, role });
  if (user.isAdmin) return { by: human('admin'), agent: undefined, projectId: project ?? null };
  if (project === undefined) throw new MissionError('INVALID_INPUT', `${def.name}: project_id is required`, { field: 'project_id' });
  let role: ProjectRole | undefined;
  if (project === null) {
    // Methods outside a project take the caller's strongest role anywhere (owners manage souls).
    const roles = services.memberships.forUser(user.userId).map((m) => m.role);
    role = roles.sort((a, b) => RANK[b] - RANK[a])[0] ?? 'viewer';
  } else {
    role = services.memberships.roleOf(user.userId, project);
    if (!role) throw forbidden(def.name, `you are not a member of project ${project}`, { project_id: project });
  }
  if (!humanRoles.includes(role)) throw forbidden(def.name, `role ${role} may not call it`, { role, allowed: [...humanRoles, 'admin'] });
  return { by: human(role), agent: undefined, projectId: project };
}

function authorizeAgent(
  def: MethodDef,
  params: Record<string, unknown>,
  principal: Extract<Principal, { kind: 'agent' | 'driver' }>,
  services: Services,
): Access {
  if (!def.roles.includes('agent')) throw forbidden(def.name, 'agents may not call this method');
  const named = typeof params.instance_id === 'string' ? params.instance_id : undefined;
  let agent: ActingAgent;
  if (principal.kind === 'driver') {
    if (!named) throw new MissionError('INVALID_INPUT', `${def.name}: a driver credential must name the instance (instance_id)`, { field: 'instance_id' });
    const view = services.queries.getAgent(named);
    if (!view || view.state === 'destroyed') throw forbidden(def.name, `no live instance ${named}`, { instance_id: named });
    if (view.driver !== principal.driverName) {
      throw forbidden(def.name, `driver ${principal.driverName} does not serve ${named}`, { instance_id: named, driver: principal.driverName });
    }
    agent = { instanceId: view.id, soulId: view.soul_id, projectId: view.project_id, isLead: services.queries.soulRole(view.soul_id) === 'lead' };
  } else {
    if (named !== undefined && named !== principal.instanceId) {
      throw forbidden(def.name, 'an agent acts only as itself', { instance_id: named, you: principal.instanceId });
    }
    agent = {
      instanceId: principal.instanceId,
      soulId: principal.soulId,
      projectId: principal.projectId,
      isLead: services.queries.soulRole(principal.soulId) === 'lead',
    };
  }
  const project = def.project(params, services) ?? agent.projectId;
  if (project !== agent.projectId) throw forbidden(def.name, `an agent acts only in its own project (${agent.projectId})`, { project_id: project });
  def.agentCheck?.(params, agent, services);
  return { by: { kind: 'agent', instanceId: agent.instanceId, soulId: agent.soulId, isLead: agent.isLead }, agent, projectId: project };
}
