// `storyflow repos list|sync NAME|status NAME|conflicts NAME|ack NAME ID`: stories as code from the command line (needs
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
  /** Changes made in storyflow waiting to be written to the files (absent from older servers). */
  writeBack?: {
    mode: string;
    pending: number;
    failing: number;
    lastError: string | null;
    nextAttemptAt: string | null;
    /** pull-request mode: the branch's pull request (absent from older servers). */
    pullRequest?: {
      state: string;
      number: number | null;
      url: string | null;
      forge: string | null;
      lastError: string | null;
      updatedAt: string | null;
    } | null;
  };
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
  merged: string[];
  mergeConflicts: { id: string; storyId: string; path: string; key: string }[];
}

interface ConflictView {
  id: string;
  path: string;
  storyId: string;
  key: string;
  storyflowValue: unknown;
  repositoryValue: unknown;
  commit: string;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
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
          ...writeBackLines(item),
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

  group
    .command('conflicts')
    .description(
      "keys changed both in storyflow and in the repository, where the repository's value was kept",
    )
    .argument('<name>', 'owner/name, as in repositories:')
    .option('--all', 'acknowledged conflicts too')
    .option('--json', 'print JSON lines')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (name: string, options) => {
      const page: { items: ConflictView[] } = await context
        .clientOf(options)
        .json('GET', `${path(name)}/conflicts${options.all ? '?all=true' : ''}`);
      for (const item of page.items) {
        context.stdout.write(
          options.json ? `${JSON.stringify(item)}\n` : `${conflictText(item)}\n`,
        );
      }
      if (!options.json && page.items.length === 0) context.stdout.write(`${name}: no conflicts\n`);
    });

  group
    .command('ack')
    .description('acknowledge a conflict: it leaves the list')
    .argument('<name>', 'owner/name, as in repositories:')
    .argument('<id>', 'the conflict id (cfl_…)')
    .option('--json', 'print JSON')
    .option('--url <url>', 'server URL (env STORYFLOW_URL)')
    .option('--token <token>', 'API token (env STORYFLOW_TOKEN)')
    .action(async (name: string, id: string, options) => {
      const item: ConflictView = await context
        .clientOf(options)
        .json('POST', `${path(name)}/conflicts/${encodeURIComponent(id)}/ack`);
      context.stdout.write(
        options.json
          ? `${JSON.stringify(item)}\n`
          : `${item.id} acknowledged at ${item.acknowledgedAt} by ${item.acknowledgedBy}\n`,
      );
    });
}

function conflictText(item: ConflictView): string {
  const value = (json: unknown) => (json === null ? '(removed)' : JSON.stringify(json));
  return [
    `${item.id}  ${item.storyId} ${item.key} (${item.path} at ${item.commit.slice(0, 12)})`,
    `  kept from the repository: ${value(item.repositoryValue)}`,
    `  storyflow's value: ${value(item.storyflowValue)}`,
    ...(item.acknowledgedAt === null
      ? []
      : [`  acknowledged at ${item.acknowledgedAt} by ${item.acknowledgedBy}`]),
  ].join('\n');
}

/** `repos status`: the write-back's mode, changes waiting, failures and why. */
function writeBackLines(item: RepositoryView): string[] {
  const writeBack = item.writeBack;
  if (writeBack === undefined) return [];
  return [
    `  write-back ${writeBack.mode}: ${writeBack.pending} change(s) pending, ${writeBack.failing} failed attempt(s)` +
      (writeBack.pending > 0 && writeBack.nextAttemptAt !== null
        ? `, next at ${writeBack.nextAttemptAt}`
        : ''),
    ...(writeBack.lastError === null ? [] : [`  write-back waiting: ${writeBack.lastError}`]),
    ...pullRequestLines(writeBack.mode, writeBack.pullRequest),
  ];
}

/** `repos status`, pull-request mode: the branch's pull request, or why there is none. */
function pullRequestLines(
  mode: string,
  pull: NonNullable<RepositoryView['writeBack']>['pullRequest'],
): string[] {
  if (mode !== 'pull-request' || pull === undefined) return [];
  if (pull === null) return ['  pull request: none yet (opened after the first write-back)'];
  if (pull.state === 'unavailable') return [`  pull request: none (${pull.lastError ?? ''})`];
  const which = pull.number === null ? 'pull request' : `pull request #${pull.number}`;
  const where = pull.url === null ? '' : ` ${pull.url}`;
  const why = pull.lastError === null ? '' : ` (${pull.lastError})`;
  const when = pull.state === 'open' && pull.updatedAt !== null ? ` (as of ${pull.updatedAt})` : '';
  return [`  ${which} ${pull.state}:${where}${when}${why}`.replace(/:$/, '')];
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
    ...(summary.merged.length > 0 ? [`${summary.merged.length} merged`] : []),
  ];
  const lines = [
    `${summary.repository}: synced to ${summary.sha.slice(0, 12)}: ${counts.join(', ')}`,
  ];
  for (const conflict of summary.conflicts)
    lines.push(`  conflict: ${claimConflictText(conflict)}`);
  for (const conflict of summary.mergeConflicts) {
    lines.push(
      `  ${conflict.storyId} ${conflict.key} changed on both sides: the repository's value was kept (${conflict.id})`,
    );
  }
  for (const error of summary.errors) lines.push(`  not imported: ${error.path}: ${error.message}`);
  return lines.join('\n');
}

function claimConflictText(conflict: SyncSummary['conflicts'][number]): string {
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
