import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import type { ProjectRole } from '../../core/index.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configFromFlags, EXIT, UsageError, type CliCommand } from '../command.js';
import { withAccounts } from './accounts-db.js';

export const userCommand: CliCommand = {
  name: 'user',
  summary: 'Manage users: add (optionally admin) and grant project roles',
  usage: ['add <name> [--admin] [--password-stdin]', 'grant <name> <project_id> <owner|member|viewer>', 'list'],
  details: [
    'add: without --password-stdin a random password is generated and printed once.',
    'grant: gives the user a role in an existing project (owner, member or viewer).',
    '',
    'Options:',
    '  --admin               the user may do everything',
    '  --password-stdin      read the password from standard input (first line)',
    CONFIG_HELP,
  ].join('\n'),
  options: { ...CONFIG_OPTIONS, admin: { type: 'boolean' }, 'password-stdin': { type: 'boolean' } },
  positionals: { min: 1, max: 4 },
  async run(ctx) {
    const [action, ...args] = ctx.positionals;
    const config = configFromFlags(ctx);
    if (action === 'add') {
      if (args.length !== 1) throw new UsageError('user add takes one name');
      let password: string;
      let generated = false;
      if (ctx.values['password-stdin'] === true) {
        password = (await text(process.stdin)).split(/\r?\n/)[0] ?? '';
      } else {
        password = randomBytes(18).toString('base64url');
        generated = true;
      }
      const user = await withAccounts(config, (accounts) => accounts.addUser(args[0]!, password, ctx.values.admin === true));
      ctx.out(`created user ${user.username}${user.is_admin ? ' (admin)' : ''}`);
      if (generated) ctx.out(`password: ${password}`);
      return EXIT.ok;
    }
    if (action === 'grant') {
      if (args.length !== 3) throw new UsageError('user grant takes <name> <project_id> <role>');
      const [name, project, role] = args as [string, string, string];
      if (!['owner', 'member', 'viewer'].includes(role)) throw new UsageError('role must be owner, member or viewer');
      await withAccounts(config, (accounts) => accounts.grant(name, project, role as ProjectRole));
      ctx.out(`${name} is ${role} of ${project}`);
      return EXIT.ok;
    }
    if (action === 'list') {
      const lines = await withAccounts(config, (accounts) =>
        accounts.users.list().map((u) => {
          const roles = accounts.memberships.forUser(u.id).map((m) => `${m.project_id}:${m.role}`);
          return `${u.username}${u.is_admin ? ' admin' : ''}${u.disabled_at ? ' disabled' : ''}${roles.length ? ' ' + roles.join(' ') : ''}`;
        }),
      );
      for (const line of lines) ctx.out(line);
      return EXIT.ok;
    }
    throw new UsageError(`unknown action "${action ?? ''}"; use add, grant or list`);
  },
};
