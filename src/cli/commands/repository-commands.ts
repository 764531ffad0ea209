// `storyflow repos list|sync NAME|status NAME`: stories as code from the command line (needs
// repositories:admin; docs/git-sync.md). `sync` imports every story file at the head of the
// tracked branch and, while the server works, prints its progress.
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';

interface RepositoryView {
  name: string;
  branch: string | null;
  lastSyncedSha: string | null;
  lastSyncedAt: string | null;
  pending: number;
  failing: number;
  lastError: string | null;
  stories: number;
  progress: { phase: string; done: number; total: number } | null;
}

interface SyncSummary {
  repository: string;
  sha: string;
  fromSha: string | null;
  created: string[];
  updated: string[];
  unchanged: string[];
  renamed: { storyId: string; from: string; to: string }[];
  unbound: string[];
  cancelled: string[];
  deleted: string[];
  conflicts: {
    storyId: string;
    paths: string[];
    cause?: 'bound-elsewhere' | 'made-in-storyflow';
    boundIn?: { repository: string; path: string };
  }[];
  errors: { path: string; message: string }[];
}

export interface RepositoryCommandContext {
  clientOf(options: { url?: string; token?: string }): ApiClient;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** How often `repos sync` asks for progress while the sync runs. */
const PROGRESS_POLL_MS = 1000;

export function addRepositoryCommands(program: Command, context: RepositoryCommandContext): void {
  const group = program
    .command('repos')
    .description('repositories whose story files storyflow imports (needs repositories:admin)');
  const path = (name: string) => `/api/v1/repositories/${encodeURIComponent(name)}`;

  group
    .command('list')
    .description('list the configured repositories and their sync state')
    .option('--json', 'print JSON lines')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (options) => {
      const page: { items: RepositoryView[] } = await context
        .clientOf(options)
        .json('GET', '/api/v1/repositories');
      for (const item of page.items) {
        context.stdout.write(options.json ? `${JSON.stringify(item)}\n` : `${statusLine(item)}\n`);
      }
      if (!options.json && page.items.length === 0)
        context.stdout.write('no repositories configured (repositories: in the config file)\n');
    });

  group
    .command('status')
    .description("a repository's sync state: last synced commit, pushes pending, failures")
    .argument('<name>', 'owner/name, as in repositories:')
    .option('--json', 'print JSON')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (name: string, options) => {
      const item: RepositoryView = await context.clientOf(options).json('GET', path(name));
      if (options.json) {
        context.stdout.write(`${JSON.stringify(item)}\n`);
        return;
      }
      context.stdout.write(
        `${[
          `${item.name} (branch ${item.branch ?? "the remote's default"})`,
          `  last synced ${item.lastSyncedSha ?? 'never'}${item.lastSyncedAt === null ? '' : ` at ${item.lastSyncedAt}`}`,
          `  ${item.stories} bound stories, ${item.pending} push(es) pending, ${item.failing} failed attempt(s)`,
          ...(item.lastError === null ? [] : [`  last error: ${item.lastError}`]),
        ].join('\n')}\n`,
      );
    });

  group
    .command('sync')
    .description('import every story file at the head of the tracked branch, now')
    .argument('<name>', 'owner/name, as in repositories:')
    .option('--json', 'print the summary as JSON')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (name: string, options) => {
      const client = context.clientOf(options);
      let finished = false;
      const sync = client.json<SyncSummary>('POST', `${path(name)}/sync`).finally(() => {
        finished = true;
      });
      // The sync runs in the request; its progress is read beside it, one line per change.
      let shown = '';
      while (!finished) {
        await Promise.race([sync.catch(() => undefined), sleep(PROGRESS_POLL_MS)]);
        if (finished) break;
        const status = await client.json<RepositoryView>('GET', path(name)).catch(() => null);
        const progress = status?.progress;
        if (progress === null || progress === undefined || progress.total === 0) continue;
        const line = `${name}: ${progress.phase} ${progress.done}/${progress.total} files`;
        if (line !== shown) context.stderr.write(`${line}\n`);
        shown = line;
      }
      const summary = await sync;
      if (options.json) {
        context.stdout.write(`${JSON.stringify(summary)}\n`);
        return;
      }
      context.stdout.write(`${summaryText(summary)}\n`);
    });
}

function statusLine(item: RepositoryView): string {
  return [
    item.name,
    item.branch ?? '(default branch)',
    item.lastSyncedSha === null ? 'never synced' : `at ${item.lastSyncedSha.slice(0, 12)}`,
    `${item.stories} stories`,
    item.pending > 0 ? `${item.pending} pending` : '',
    item.failing > 0 ? `failing (${item.failing}): ${item.lastError ?? ''}` : '',
  ]
    .filter((cell) => cell !== '')
    .join('  ');
}

function summaryText(summary: SyncSummary): string {
  const counts = [
    `${summary.created.length} created`,
    `${summary.updated.length} updated`,
    `${summary.unchanged.length} unchanged`,
    ...(summary.renamed.length > 0 ? [`${summary.renamed.length} renamed`] : []),
    ...(summary.unbound.length > 0 ? [`${summary.unbound.length} unbound`] : []),
    ...(summary.cancelled.length > 0 ? [`${summary.cancelled.length} cancelled`] : []),
    ...(summary.deleted.length > 0 ? [`${summary.deleted.length} deleted`] : []),
  ];
  const lines = [
    `${summary.repository}: synced to ${summary.sha.slice(0, 12)}: ${counts.join(', ')}`,
  ];
  for (const conflict of summary.conflicts) lines.push(`  conflict: ${conflictText(conflict)}`);
  for (const error of summary.errors) lines.push(`  not imported: ${error.path}: ${error.message}`);
  return lines.join('\n');
}

function conflictText(conflict: SyncSummary['conflicts'][number]): string {
  const { storyId, paths } = conflict;
  if (conflict.cause === 'bound-elsewhere' && conflict.boundIn !== undefined) {
    const { repository, path } = conflict.boundIn;
    return `${storyId} in ${paths.join(' and ')} is bound to ${repository}:${path}; not imported`;
  }
  if (conflict.cause === 'made-in-storyflow') {
    return `${storyId} in ${paths.join(' and ')} differs from the story made in storyflow; not imported`;
  }
  return `${storyId} is in ${paths.join(' and ')}; neither was imported`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
