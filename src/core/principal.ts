/**
 * Who sends a command. The gateway resolves a credential into a Principal (auth) and, per
 * project, into the `By` carried by each command; machines' guards read `By` only.
 */
export type ProjectRole = 'owner' | 'member' | 'viewer';

export type Principal =
  | { kind: 'user'; userId: number; username: string; isAdmin: boolean }
  | { kind: 'agent'; instanceId: string; soulId: string; projectId: string }
  | { kind: 'driver'; driverName: string }
  | { kind: 'runtime' };

/** The actor of one command, as machines see it. */
export type By =
  | { kind: 'human'; userId: number; username: string; role: 'admin' | ProjectRole }
  | { kind: 'agent'; instanceId: string; soulId: string; isLead: boolean }
  | { kind: 'runtime' };

export const RUNTIME: By = { kind: 'runtime' };
