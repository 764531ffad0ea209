// `storyflow outbox list|retry`: the calls storyflow queued for forges (comments, commit
// statuses), from the command line (needs deliveries:admin).
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { CliError, EXIT } from '../exit-codes.js';

interface OutboxView {
  id: string;
  forge: string;
  kind: string;
  target: string;
  status: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
}

export interface OutboxCommandContext {
  clientOf(options: { url?: string; token?: string }): ApiClient;
  stdout: NodeJS.WritableStream;
}

export function addOutboxCommands(program: Command, context: OutboxCommandContext): void {
  const group = program
    .command('outbox')
    .description('calls queued for forges: comments and commit statuses (needs deliveries:admin)');

  group
    .command('list')
    .description('list queued calls, most recently changed first')
    .option('--status <status>', 'pending, sent or dead')
    .option('--limit <n>', 'at most this many (≤ 500)', '100')
    .option('--json', 'print JSON lines')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (options) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw new CliError(EXIT.usage, '--limit must be a whole number from 1 to 500');
      const query = new URLSearchParams({ limit: String(limit) });
      if (options.status !== undefined) query.set('status', options.status);
      const page: { items: OutboxView[] } = await context
        .clientOf(options)
        .json('GET', `/api/v1/outbox?${query}`);
      for (const item of page.items) {
        context.stdout.write(
          options.json
            ? `${JSON.stringify(item)}\n`
            : `${[
                item.id,
                item.status,
                `${item.attempts} attempt(s)`,
                item.forge,
                item.kind,
                item.target,
                item.status === 'pending' ? `next ${item.nextAttemptAt}` : '',
                item.lastError ?? '',
              ]
                .filter((cell) => cell !== '')
                .join('  ')}\n`,
        );
      }
      if (!options.json && page.items.length === 0) context.stdout.write('no queued calls\n');
    });

  group
    .command('retry')
    .description('send a queued call again now (a dead one too), with its attempts reset')
    .argument('<id>', 'the outbox id, e.g. out_…')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (id: string, options) => {
      const item: OutboxView = await context
        .clientOf(options)
        .json('POST', `/api/v1/outbox/${encodeURIComponent(id)}/retry`);
      context.stdout.write(`${item.id}: ${item.status}, due ${item.nextAttemptAt}\n`);
    });
}
