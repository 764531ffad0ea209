// `storyflow deliveries list|replay|reconcile`: the durable inbox from the command line.
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { CliError, EXIT } from '../exit-codes.js';

interface DeliveryView {
  id: string;
  provider: string;
  event: string;
  deliveryId: string;
  repository: string | null;
  status: string;
  attempts: number;
  lastError: string | null;
  receivedAt: string;
}

interface DeliveryFilters {
  status?: string;
  provider?: string;
  repository?: string;
  since?: string;
  until?: string;
}

export interface DeliveryCommandContext {
  clientOf(options: { url?: string; token?: string }): ApiClient;
  stdout: NodeJS.WritableStream;
}

function withFilters(command: Command): Command {
  return command
    .option('--status <status>', 'pending, processing, processed, ignored, failed or dead')
    .option('--provider <provider>', 'github, gitlab, bitbucket or ci')
    .option('--repository <repository>', 'owner/name')
    .option('--since <iso>', 'received at or after')
    .option('--until <iso>', 'received before')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)');
}

/** Every delivery matching the filters, newest first, following cursors. */
async function* deliveries(client: ApiClient, filters: DeliveryFilters, max: number) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters))
    if (value !== undefined) query.set(key, value);
  let cursor: string | null = null;
  let count = 0;
  do {
    const page: { items: DeliveryView[]; nextCursor: string | null } = await client.json(
      'GET',
      `/api/v1/deliveries?${query}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const item of page.items) {
      if (count++ >= max) return;
      yield item;
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
}

interface ReconcileSummary {
  since: string;
  repositories: string[];
  /** Organization and GitHub App hooks (`organization acme`, `app 123`). */
  hooks?: string[];
  checked: number;
  missing: number;
  failed: number;
  redelivered: number;
  alreadyReceived: number;
  errors: { repository: string; message: string }[];
  forges?: { forge: string; checked: number; redelivered: number }[];
}

function filtersOf(options: DeliveryFilters): DeliveryFilters {
  const { status, provider, repository, since, until } = options;
  return { status, provider, repository, since, until };
}

export function addDeliveryCommands(program: Command, context: DeliveryCommandContext): void {
  const group = program
    .command('deliveries')
    .description('the inbox of webhook and CI deliveries (needs deliveries:admin)');

  withFilters(group.command('list').description('list deliveries, newest first'))
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON lines')
    .action(async (options) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new CliError(EXIT.usage, '--limit must be a positive integer');
      let count = 0;
      for await (const item of deliveries(context.clientOf(options), filtersOf(options), limit)) {
        count += 1;
        context.stdout.write(
          options.json
            ? `${JSON.stringify(item)}\n`
            : `${item.id}  ${item.receivedAt}  ${item.provider}/${item.event}  ${item.repository ?? '-'}  ` +
                `${item.status} (${item.attempts} attempt${item.attempts === 1 ? '' : 's'})` +
                `${item.lastError ? `  ${item.lastError}` : ''}\n`,
        );
      }
      if (!options.json) context.stdout.write(`${count} deliver${count === 1 ? 'y' : 'ies'}\n`);
    });

  withFilters(
    group
      .command('replay')
      .description('process deliveries again: one by id, or every one matching the filters')
      .argument('[id]', 'a delivery id (dlv_…)'),
  )
    .option('--max <n>', 'replay at most this many matching deliveries', '1000')
    .action(async (id: string | undefined, options) => {
      const client = context.clientOf(options);
      const filters = filtersOf(options);
      const hasFilter = Object.values(filters).some((value) => value !== undefined);
      if (id === undefined && !hasFilter) {
        throw new CliError(EXIT.usage, 'give a delivery id, or filters such as --status dead');
      }
      if (id !== undefined && hasFilter)
        throw new CliError(EXIT.usage, 'give either an id or filters, not both');
      const ids: string[] = [];
      if (id !== undefined) ids.push(id);
      else
        for await (const item of deliveries(client, filters, Number(options.max)))
          ids.push(item.id);
      for (const deliveryId of ids) {
        await client.request('POST', `/api/v1/deliveries/${encodeURIComponent(deliveryId)}/replay`);
      }
      context.stdout.write(
        `Queued ${ids.length} deliver${ids.length === 1 ? 'y' : 'ies'} for replay\n`,
      );
    });

  group
    .command('reconcile')
    .description(
      'ask GitHub again for the webhook deliveries storyflow missed (failed or never arrived)',
    )
    .option(
      '--since <when>',
      'a duration back from now (30m, 24h, 3d) or an ISO time; ≤ 3 days',
      '24h',
    )
    .option('--json', 'print the summary as JSON')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (options) => {
      const summary: ReconcileSummary = await context
        .clientOf(options)
        .json('POST', '/api/v1/deliveries/reconcile', { json: { since: options.since } });
      if (options.json) context.stdout.write(`${JSON.stringify(summary)}\n`);
      else
        context.stdout.write(
          `Since ${summary.since}, ${summary.repositories.length} repositor${summary.repositories.length === 1 ? 'y' : 'ies'}` +
            `${(summary.hooks ?? []).length > 0 ? ` and ${(summary.hooks ?? []).join(', ')}` : ''}: ` +
            `${summary.checked} checked, ${summary.alreadyReceived} already received, ` +
            `${summary.failed} failed, ${summary.missing} missing, ${summary.redelivered} redelivered\n`,
        );
      if (!options.json && (summary.forges?.length ?? 0) > 1)
        for (const forge of summary.forges ?? [])
          context.stdout.write(
            `  ${forge.forge}: ${forge.checked} checked, ${forge.redelivered} redelivered\n`,
          );
      if (!options.json)
        for (const error of summary.errors)
          context.stdout.write(`error: ${error.repository}: ${error.message}\n`);
      // A pipeline or cron job running this should notice a repository it could not check.
      if (summary.errors.length > 0)
        throw new CliError(
          EXIT.serverFailure,
          `${summary.errors.length} error${summary.errors.length === 1 ? '' : 's'} while reconciling`,
        );
    });
}
