import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectParams, instanceFromSessionKey, sessionKeyFor } from '../../src/actors/drivers/openclaw/index.js';

const slug = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,39}$/);

describe('OpenClaw frames', () => {
  it('session keys are agent:<soul>:mc-<project> and map back to <soul>:<project>', () => {
    expect(sessionKeyFor('shuri', 'vanguard')).toBe('agent:shuri:mc-vanguard');
    fc.assert(fc.property(slug, slug, (soul, project) => instanceFromSessionKey(sessionKeyFor(soul, project)) === `${soul}:${project}`));
  });

  it('refuses session keys Mission Control did not make', () => {
    for (const key of ['agent:main:main', 'agent:shuri:vanguard', 'agent:Shuri:mc-vanguard', 'agent:shuri:mc-', 'agent:shuri:mc-a:b', '']) {
      expect(instanceFromSessionKey(key)).toBeNull();
    }
  });

  it('connect carries exactly the fields the gateway accepts (unknown ones are refused)', () => {
    expect(Object.keys(connectParams('t', '1.0')).sort()).toEqual(['auth', 'caps', 'client', 'maxProtocol', 'minProtocol', 'role', 'scopes']);
    expect(connectParams('secret', '1.0')).toMatchObject({ minProtocol: 4, maxProtocol: 4, auth: { token: 'secret' }, caps: ['tool-events'] });
  });
});
