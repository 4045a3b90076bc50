import { describe, expect, it } from 'vitest';
import { can, canCreateProjects, toSession } from '../../web/src/api/auth.js';

// GET /auth/me as the gateway answers it (docs: gateway routes): a person is
// {kind: 'user', id, username, is_admin, memberships: [{project_id, role}]}; agents and drivers
// get {kind: 'agent' | 'driver', …}. The web app reads exactly that shape.
const person = {
  kind: 'user',
  id: 7,
  username: 'vic',
  is_admin: false,
  memberships: [
    { project_id: 'apollo', role: 'viewer' },
    { project_id: 'gemini', role: 'owner' },
  ],
};

describe('the web session from GET /auth/me', () => {
  it('reads a person with their memberships', () => {
    expect(toSession(person)).toEqual(person);
  });

  it('is no session for an agent or a driver credential', () => {
    expect(toSession({ kind: 'agent', instance_id: 'shuri:apollo', soul_id: 'shuri', project_id: 'apollo' })).toBeNull();
    expect(toSession({ kind: 'driver', driver: 'openclaw' })).toBeNull();
  });

  it('refuses the old nested shape and malformed bodies instead of guessing', () => {
    for (const body of [
      { user: { username: 'vic', is_admin: false }, memberships: [] },
      { username: 'vic', is_admin: false, memberships: [] },
      { ...person, is_admin: 1 },
      { ...person, id: '7' },
      { ...person, memberships: [{ project_id: 'apollo', role: 'superuser' }] },
      { ...person, memberships: undefined },
      null,
      'vic',
    ]) {
      expect(() => toSession(body), JSON.stringify(body)).toThrow(/auth\/me/);
    }
  });

  it('grants per project role what SPEC §9 allows, and admins everything', () => {
    const session = toSession(person)!;
    // role → read, edit, operate
    const table: [string, boolean, boolean, boolean][] = [
      ['apollo', true, false, false], // viewer
      ['gemini', true, true, true], // owner
      ['mercury', false, false, false], // not a member
    ];
    for (const [project, read, edit, operate] of table) {
      expect([can(session, project, 'read'), can(session, project, 'edit'), can(session, project, 'operate')], project).toEqual([read, edit, operate]);
    }
    expect(canCreateProjects(session)).toBe(true);
    const admin = toSession({ ...person, is_admin: true, memberships: [] })!;
    expect(can(admin, 'mercury', 'operate')).toBe(true);
    expect(canCreateProjects(toSession({ ...person, memberships: [{ project_id: 'apollo', role: 'member' }] })!)).toBe(false);
  });
});
