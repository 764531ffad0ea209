// `storyflow operations list|rollback` and `storyflow rules simulate FILE`: what automation did,
// undoing it, and what it would do.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { webhookProviders } from '../../providers/index.js';
import { type ApiClient, ApiError } from '../api-client.js';
import { CliError, EXIT } from '../exit-codes.js';
import {
  type ConflictView,
  formatConflict,
  formatOperationDetail,
  formatOperationLine,
  type OperationView,
} from './operation-format.js';

export interface AutomationCommandContext {
  clientOf(options: { url?: string; token?: string }): ApiClient;
  stdout: NodeJS.WritableStream;
  /** Where a relative FILE is read from. */
  cwd: string;
}

interface SimulateAnswer {
  operations: OperationView[];
  events: { kind: string; repository: string }[];
  ignored?: string;
}

function withClient(command: Command): Command {
  return command
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)');
}

function positiveInteger(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new CliError(EXIT.usage, `${flag} must be a positive integer`);
  return number;
}

export function addAutomationCommands(program: Command, context: AutomationCommandContext): void {
  const operations = program
    .command('operations')
    .description('what automation changed, one operation per event (and undoing it)');

  withClient(operations.command('list').description('list operations, newest first'))
    .option('--story <id>', 'only operations that changed this story')
    .option('--delivery <id>', 'only operations of this delivery (dlv_…)')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON lines')
    .action(async (options) => {
      const limit = positiveInteger(options.limit, '--limit');
      const client = context.clientOf(options);
      const query = new URLSearchParams();
      if (options.story !== undefined) query.set('story', options.story);
      if (options.delivery !== undefined) query.set('delivery', options.delivery);
      query.set('limit', String(Math.min(limit, 500)));
      let count = 0;
      let cursor: string | null = null;
      do {
        if (cursor !== null) query.set('cursor', cursor);
        const page: { items: OperationView[]; nextCursor: string | null } = await client.json(
          'GET',
          `/api/v1/operations?${query}`,
        );
        for (const item of page.items.slice(0, limit - count)) {
          context.stdout.write(
            options.json ? `${JSON.stringify(item)}\n` : `${formatOperationLine(item)}\n`,
          );
          count += 1;
        }
        cursor = count < limit ? page.nextCursor : null;
      } while (cursor !== null);
      if (!options.json) context.stdout.write(`${count} operation${count === 1 ? '' : 's'}\n`);
    });

  withClient(
    operations
      .command('rollback')
      .description(
        'restore every field the operation changed; fields changed again since are listed ' +
          '(exit 1) unless --force',
      )
      .argument('<id>', 'an operation id (op_…)'),
  )
    .option('--force', 'overwrite fields that changed again since')
    .option('--json', 'print the rollback operation as JSON')
    .action(async (id: string, options) => {
      const path = `/api/v1/operations/${encodeURIComponent(id)}/rollback${
        options.force ? '?force=true' : ''
      }`;
      let rollback: OperationView;
      try {
        rollback = await context.clientOf(options).json<OperationView>('POST', path);
      } catch (error) {
        throw conflictsOf(error, id) ?? error;
      }
      if (options.json) {
        context.stdout.write(`${JSON.stringify(rollback, null, 2)}\n`);
        return;
      }
      const count = rollback.changes.length;
      context.stdout.write(
        `Rolled back ${id} as ${rollback.id}: ${count} change${count === 1 ? '' : 's'}\n`,
      );
      for (const line of formatOperationDetail({ ...rollback, steps: [] }))
        context.stdout.write(`${line}\n`);
    });

  const rules = program.command('rules').description('the automation rules');
  withClient(
    rules
      .command('simulate')
      .description(
        'what an event would do now, changing nothing. FILE is JSON: a simulate body ' +
          '({"provider", "event", "payload"} or {"events": [...]}), one normalized event or a list ' +
          'of them, or a raw provider payload with --provider and --event',
      )
      .argument('<file>', 'a JSON file (- for standard input)'),
  )
    .addOption(
      new Option('--provider <provider>', 'the payload is from').choices(
        webhookProviders.map((provider) => provider.name),
      ),
    )
    .option(
      '--event <name>',
      "the provider's event name (X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event, X-Event-Key, Azure DevOps' eventType)",
    )
    .option('--json', 'print the answer as JSON')
    .action(async (file: string, options) => {
      const body = simulateBody(await readJson(file, context.cwd), options);
      const answer = await context
        .clientOf(options)
        .json<SimulateAnswer>('POST', '/api/v1/rules/simulate', { json: body });
      if (options.json) {
        context.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
        return;
      }
      context.stdout.write(`${summary(answer).join('\n')}\n`);
    });
}

/** A 409 listing conflicts, as one line per conflict (exit 1); undefined for anything else. */
function conflictsOf(error: unknown, id: string): CliError | undefined {
  if (!(error instanceof ApiError) || error.status !== 409) return undefined;
  const conflicts = (error.problem as { conflicts?: ConflictView[] } | undefined)?.conflicts;
  if (!Array.isArray(conflicts) || conflicts.length === 0) return undefined;
  return new CliError(
    EXIT.serverFailure,
    [
      `cannot roll back ${id}: ${conflicts.length} field${conflicts.length === 1 ? '' : 's'} changed since`,
      ...conflicts.map((conflict) => `  ${formatConflict(conflict)}`),
      'run again with --force to overwrite them',
    ].join('\n'),
  );
}

async function readJson(file: string, cwd: string): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new CliError(EXIT.usage, `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(EXIT.usage, `${file} is not JSON: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** The request body for FILE's content and the flags. */
function simulateBody(content: unknown, options: { provider?: string; event?: string }): unknown {
  if (options.provider !== undefined || options.event !== undefined) {
    if (options.provider === undefined || options.event === undefined) {
      throw new CliError(EXIT.usage, '--provider and --event go together');
    }
    return { provider: options.provider, event: options.event, payload: content };
  }
  if (Array.isArray(content)) return { events: content };
  if (typeof content === 'object' && content !== null) {
    if ('events' in content || 'provider' in content) {
      if ('payload' in content || 'events' in content) return content;
    }
    if ('kind' in content) return { events: [content] };
  }
  throw new CliError(
    EXIT.usage,
    'FILE is not a simulate body ({"events": [...]} or {"provider", "event", "payload"}) nor a ' +
      'normalized event; for a raw webhook payload give --provider and --event',
  );
}

function summary(answer: SimulateAnswer): string[] {
  const events = answer.events.length;
  const lines = [
    `Simulated ${events} event${events === 1 ? '' : 's'}: ${answer.events
      .map((event) => event.kind)
      .join(', ')}${events === 0 ? 'none' : ''}`,
  ];
  if (answer.ignored !== undefined)
    lines.push(`The payload stands for no event: ${answer.ignored}`);
  if (answer.operations.length === 0) {
    lines.push('Nothing would change.');
    return lines;
  }
  for (const operation of answer.operations) {
    lines.push(`${operation.trigger.kind} in ${operation.repository ?? '-'} would:`);
    lines.push(...formatOperationDetail(operation));
  }
  return lines;
}
