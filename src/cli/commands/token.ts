import { CONFIG_HELP, CONFIG_OPTIONS, configFromFlags, EXIT, UsageError, type CliCommand } from '../command.js';
import { withAccounts } from './accounts-db.js';

export const tokenCommand: CliCommand = {
  name: 'token',
  summary: 'Create, list and revoke bearer tokens for users, agent instances and agent runtimes',
  usage: ['create (--user <name> | --instance <soul:project> | --driver <name>) [--label <text>] [--ttl-days <n>]', 'list', 'revoke --id <n>'],
  details: [
    'create prints the token alone on standard output, once; only its SHA-256 is stored.',
    'A running server honours a new or revoked token at once.',
    '',
    'Options:',
    '  --user <name>              a token acting as that user (scripts)',
    '  --instance <soul:project>  a token acting as that agent instance',
    '  --driver <name>            an agent runtime credential; calls name the instance',
    '  --label <text>             a note shown by list',
    '  --ttl-days <n>             expire after n days (default: never)',
    CONFIG_HELP,
  ].join('\n'),
  options: {
    ...CONFIG_OPTIONS,
    user: { type: 'string' },
    instance: { type: 'string' },
    driver: { type: 'string' },
    label: { type: 'string' },
    'ttl-days': { type: 'string' },
    id: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const action = ctx.positionals[0];
    const config = configFromFlags(ctx);
    const str = (k: string): string | undefined => (typeof ctx.values[k] === 'string' ? (ctx.values[k] as string) : undefined);
    if (action === 'create') {
      const subjects = [
        str('user') !== undefined ? { user: str('user')! } : null,
        str('instance') !== undefined ? { instance: str('instance')! } : null,
        str('driver') !== undefined ? { driver: str('driver')! } : null,
      ].filter((s) => s !== null);
      if (subjects.length !== 1) throw new UsageError('token create needs exactly one of --user, --instance, --driver');
      const ttl = str('ttl-days');
      const days = ttl === undefined ? undefined : Number(ttl);
      if (days !== undefined && !(Number.isFinite(days) && days > 0)) throw new UsageError('--ttl-days must be a positive number');
      const { token } = await withAccounts(config, (accounts) =>
        accounts.createToken(subjects[0]!, {
          ...(str('label') !== undefined ? { label: str('label')! } : {}),
          ...(days !== undefined ? { ttlMs: days * 86_400_000 } : {}),
        }),
      );
      ctx.out(token);
      return EXIT.ok;
    }
    if (action === 'list') {
      for (const t of await withAccounts(config, (accounts) => accounts.tokens.list())) {
        const subject = t.instance_id ?? t.driver_name ?? (t.user_id !== null ? `user#${t.user_id}` : '?');
        const state = t.revoked_at ? 'revoked' : t.expires_at && t.expires_at < Date.now() ? 'expired' : 'live';
        ctx.out(`${t.id}\t${t.kind}\t${subject}\t${state}\t${t.label ?? ''}`);
      }
      return EXIT.ok;
    }
    if (action === 'revoke') {
      const id = Number(str('id'));
      if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError('token revoke needs --id <n> (see token list)');
      const done = await withAccounts(config, (accounts) => accounts.tokens.revokeById(id, Date.now()));
      ctx.out(done ? `revoked token ${id}` : `token ${id} was not live`);
      return done ? EXIT.ok : EXIT.failure;
    }
    throw new UsageError(`unknown action "${action ?? ''}"; use create, list or revoke`);
  },
};
