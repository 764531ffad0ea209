// `storyflow token create|list|revoke|bootstrap`.
import { type Command, Option } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import type { ApiClient } from '../api-client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { bootstrapAdminToken } from './token-bootstrap-command.js';

interface TokenView {
  id: string;
  name: string;
  hint: string;
  scopes: string[];
  repositories: string[] | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** The token that created this one (servers before 0011 do not say). */
  parentId?: string | null;
  token?: string;
}

export interface TokenCommandContext {
  clientOf(options: { url?: string; token?: string }): ApiClient;
  stdout: NodeJS.WritableStream;
  now(): Date;
  /** For `token bootstrap`, which reads the server's config as `serve` does. */
  env: Record<string, string | undefined>;
  cwd: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',')];

export function addTokenCommands(program: Command, context: TokenCommandContext): void {
  const token = program.command('token').description('manage API tokens (needs tokens:admin)');

  token
    .command('create')
    .description('create a token; its secret is printed once')
    .requiredOption('--name <name>', 'what the token is for')
    .requiredOption('--scope <scope>', 'a scope (repeatable or comma-separated)', collect)
    .option('--repository <glob>', 'limit to repositories (repeatable): acme/shop, acme/*', collect)
    .option('--expires-in <duration>', 'lifetime, e.g. 30d, 12h, 90m')
    // Both at once would leave one silently ignored.
    .addOption(
      new Option('--expires-at <iso>', 'expiry as an ISO-8601 date-time').conflicts('expiresIn'),
    )
    .option('--rate-limit <spec>', 'own rate limit, e.g. 6000/minute')
    .option('--json', 'print the whole answer as JSON')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (options) => {
      const expiresAt =
        options.expiresAt ??
        (options.expiresIn === undefined
          ? undefined
          : expiryFrom(options.expiresIn, context.now()));
      const created = await context.clientOf(options).json<TokenView>('POST', '/api/v1/tokens', {
        json: {
          name: options.name,
          scopes: options.scope,
          ...(options.repository === undefined ? {} : { repositories: options.repository }),
          ...(expiresAt === undefined ? {} : { expiresAt }),
          ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
        },
      });
      if (options.json) {
        context.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
        return;
      }
      context.stdout.write(
        `Created token ${created.id} "${created.name}" with ${created.scopes.join(', ')}` +
          `${created.repositories ? ` on ${created.repositories.join(', ')}` : ''}` +
          `${created.expiresAt ? `, expires ${created.expiresAt}` : ''}.\n` +
          'Its secret is shown only now; store it in your CI secrets:\n' +
          `${created.token}\n`,
      );
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--all', 'include revoked tokens')
    .option('--json', 'print JSON')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (options) => {
      const client = context.clientOf(options);
      const items: TokenView[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `?limit=500${options.all ? '&includeRevoked=true' : ''}${
          cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
        }`;
        const page: { items: TokenView[]; nextCursor: string | null } = await client.json(
          'GET',
          `/api/v1/tokens${query}`,
        );
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      if (options.json) {
        context.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
        return;
      }
      const now = context.now().getTime();
      for (const item of items) {
        // Expired tokens stay listed (only revoked ones are hidden), so say they no longer work.
        const state = item.revokedAt
          ? 'revoked'
          : item.expiresAt
            ? `${Date.parse(item.expiresAt) <= now ? 'expired' : 'expires'} ${item.expiresAt}`
            : 'active';
        context.stdout.write(
          `${item.id}  ${item.hint}  ${item.name}  [${item.scopes.join(',')}]` +
            `${item.repositories ? `  repos: ${item.repositories.join(',')}` : ''}` +
            `${item.parentId ? `  parent: ${item.parentId}` : ''}  ${state}` +
            `  last used: ${item.lastUsedAt ?? 'never'}\n`,
        );
      }
      context.stdout.write(`${items.length} token(s)\n`);
    });

  token
    .command('revoke')
    .description('revoke a token; it stops working at once')
    .argument('<id>', 'token id (tok_…)')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (id: string, options) => {
      await context.clientOf(options).request('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
      context.stdout.write(`Revoked token ${id}\n`);
    });

  addBootstrapCommand(token, context);
}

function addBootstrapCommand(token: Command, context: TokenCommandContext): void {
  token
    .command('bootstrap')
    .description(
      "create an admin token directly in the server's database (run it on the server's machine, " +
        'with its config and STORYFLOW_DATABASE_URL); for when the first-start token is lost',
    )
    .option('--name <name>', 'what the token is for', 'bootstrap admin (CLI)')
    .option('--expires-in <duration>', 'lifetime, e.g. 1d, 12h; "never" for none', '1d')
    .option('--database-url <url>', 'database URL (env STORYFLOW_DATABASE_URL)')
    .action(async (options: { name: string; expiresIn: string; databaseUrl?: string }) => {
      const env = { ...context.env };
      if (options.databaseUrl !== undefined) env.STORYFLOW_DATABASE_URL = options.databaseUrl;
      const config = loadConfig({ env, cwd: context.cwd });
      const created = await bootstrapAdminToken(config, {
        name: options.name,
        expiresAt:
          options.expiresIn === 'never' ? null : expiryFrom(options.expiresIn, context.now()),
        cwd: context.cwd,
      });
      context.stdout.write(
        `Created admin token ${created.id} "${created.name}"` +
          `${created.expiresAt ? `, expires ${created.expiresAt}` : ''}.\n` +
          'Use it to create scoped tokens (storyflow token create), then revoke it:\n' +
          `${created.token}\n`,
      );
    });
}

/** `30d`, `12h`, `90m`, `45s` from now, as an ISO-8601 time. */
export function expiryFrom(duration: string, now: Date): string {
  const match = /^(\d+)\s*([smhd])$/.exec(duration.trim());
  if (match === null) {
    throw new CliError(
      EXIT.usage,
      `--expires-in must look like 30d, 12h, 90m or 45s, got "${duration}"`,
    );
  }
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    match[2] as 's' | 'm' | 'h' | 'd'
  ];
  return new Date(now.getTime() + Number(match[1]) * unit).toISOString();
}
