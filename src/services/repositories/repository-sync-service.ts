// Stories as code, inbound (docs/git-sync.md): brings a configured repository's story files into
// storyflow. Fetches the tracked branch into the repository's mirror, diffs the last synced
// commit's tree against the new head within the `stories:` glob (or lists the whole tree on a
// first or full sync), and imports added and changed files byte for byte through the story
// service, with the commit as the source of each history entry. Deleted files follow onDelete.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Config, RepositoryConfig } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import {
  type ChangedStoryFile,
  planRepositorySync,
} from '../../domain/repositories/plan-repository-sync.js';
import { sameRepositoryName } from '../../domain/repositories/repository-name.js';
import { storyGlobMatcher } from '../../domain/repositories/story-glob-matcher.js';
import type { StoryDocument } from '../../domain/story/story-document.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { WriteBackSummary } from '../../storage/repository-writeback-repository.js';
import type { Store } from '../../storage/store.js';
import { parseStory } from '../story-documents.js';
import type { StoryService } from '../story-service.js';
import { applySyncPart, type SyncPartContext } from './apply-sync-part.js';
import { GitMirror } from './git-mirror.js';
import { RepositoryConflictService } from './repository-conflict-service.js';
import { emptySummary, type RepositorySyncSummary } from './repository-sync-summary.js';
import { readMergeBases } from './sync-reads.js';
import type {
  WriteBackPullRequestStatus,
  WriteBackPullRequests,
} from './write-back-pull-requests.js';

export type { RepositorySyncSummary } from './repository-sync-summary.js';

export interface RepositoryStatus {
  name: string;
  /** The configured branch, or null when the remote's default branch is followed. */
  branch: string | null;
  lastSyncedSha: string | null;
  lastSyncedAt: string | null;
  /** Pushes recorded and not yet synced. */
  pending: number;
  /** Failed sync attempts in a row (0 when the last one succeeded). */
  failing: number;
  lastError: string | null;
  /** Story files bound to stories. */
  stories: number;
  /** The sync running in this process, if any: files read of the files to read. */
  progress: { phase: 'fetching' | 'reading' | 'importing'; done: number; total: number } | null;
  /** Changes made in storyflow waiting to be written back (repository-write-back.ts). */
  writeBack: WriteBackStatus;
}

export interface WriteBackStatus extends WriteBackSummary {
  mode: RepositoryConfig['writeBack'];
  /** pull-request mode: the branch's pull request (null: none asked for, or another mode). */
  pullRequest: WriteBackPullRequestStatus | null;
}

export interface SyncOptions {
  /** Read the whole tree at the head instead of the change since the last synced commit. */
  full?: boolean;
}

// Reading, parsing and (on SQLite, whose driver never waits) importing run on the event loop
// that takes webhooks: each chunk is followed by a turn of the loop, so intake waits for at most
// one chunk (tens of milliseconds), never the whole sync (bench/repository-sync.ts).
const READ_CHUNK = 200;
/** How long an API-triggered sync holds the lease (as long as the runner's claim). */
const API_SYNC_LEASE_MS = 600_000;
const IMPORT_CHUNK = 100;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class RepositorySyncService {
  private readonly running = new Map<string, Promise<RepositorySyncSummary>>();
  private readonly progressOf = new Map<string, NonNullable<RepositoryStatus['progress']>>();
  /** The keys syncs found changed on both sides, listed until acknowledged. */
  readonly conflicts: RepositoryConflictService;

  constructor(
    private readonly store: Store,
    private readonly stories: StoryService,
    private readonly config: Pick<Config, 'repositories' | 'git' | 'workflow'>,
    private readonly clock: Clock,
    /** A sync was queued (wakes this process's sync runner). */
    private readonly onRequested: () => void = () => {},
    /** Shows each repository's write-back pull request in its status. */
    private readonly pullRequests?: WriteBackPullRequests,
  ) {
    this.conflicts = new RepositoryConflictService(store, clock, (name) => this.repository(name));
  }

  /** The configured repository, or 404 repository-not-found. */
  repository(name: string): RepositoryConfig {
    const repository = this.config.repositories.find((entry) =>
      sameRepositoryName(entry.name, name),
    );
    if (repository === undefined) {
      throw new ProblemError('repository-not-found', `No repository ${name} in repositories:`, {
        repository: name,
      });
    }
    return repository;
  }

  /** The configured repositories' names. */
  names(): string[] {
    return this.config.repositories.map((entry) => entry.name);
  }

  async list(): Promise<RepositoryStatus[]> {
    return Promise.all(this.config.repositories.map((entry) => this.status(entry.name)));
  }

  async status(requested: string): Promise<RepositoryStatus> {
    const repository = this.repository(requested);
    const { name } = repository;
    const state = await this.store.repositorySync.getState(name);
    return {
      name,
      branch: repository.branch,
      lastSyncedSha: state?.lastSyncedSha ?? null,
      lastSyncedAt: state?.lastSyncedAt ?? null,
      pending: state?.pendingPushes ?? 0,
      failing: state?.failedAttempts ?? 0,
      lastError: state?.lastError ?? null,
      stories: await this.store.repositorySync.countBindings(name),
      progress: this.progressOf.get(name) ?? null,
      writeBack: {
        mode: repository.writeBack,
        ...(await this.store.repositoryWriteBacks.summary(name)),
        pullRequest: (await this.pullRequests?.status(repository)) ?? null,
      },
    };
  }

  /** Queues a sync for the sync runner, as a push would; answers the status with it pending. */
  async requestSync(requested: string): Promise<RepositoryStatus> {
    const { name } = this.repository(requested);
    await this.store.repositorySync.recordPush(name, this.clock.now().toISOString());
    this.onRequested();
    return this.status(name);
  }

  /**
   * Syncs a repository now (the API's and the CLI's sync): takes the repository's lease in the
   * database first, the one the sync runner claims, so no two instances sync one repository at
   * once; while another holds it, 409 repository-sync-running.
   */
  async sync(name: string, options: SyncOptions = {}): Promise<RepositorySyncSummary> {
    const { name: canonical } = this.repository(name);
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + API_SYNC_LEASE_MS).toISOString();
    if (!(await this.store.repositorySync.acquireLease(canonical, now.toISOString(), leaseUntil))) {
      throw new ProblemError(
        'repository-sync-running',
        `A sync of ${canonical} is running; its result shows in GET /repositories/{name}. Try again when it ends, or queue one with wait=false`,
        { repository: canonical },
      );
    }
    try {
      return await this.syncLeased(canonical, options);
    } catch (error) {
      // markSynced gives the lease back on success; a failure gives it back here.
      await this.store.repositorySync.releaseLease(canonical);
      throw error;
    }
  }

  /**
   * Syncs a repository whose lease the caller holds (the sync runner claimed it); one sync per
   * repository at a time in this process (a second call waits for the first, then runs).
   */
  syncLeased(name: string, options: SyncOptions = {}): Promise<RepositorySyncSummary> {
    const repository = this.repository(name);
    const previous = this.running.get(name) ?? Promise.resolve(undefined);
    const next = previous
      .catch(() => undefined)
      .then(() => this.syncNow(repository, options))
      .finally(() => {
        if (this.running.get(name) === next) this.running.delete(name);
        this.progressOf.delete(name);
      });
    this.running.set(name, next);
    return next;
  }

  private async syncNow(
    repository: RepositoryConfig,
    options: SyncOptions,
  ): Promise<RepositorySyncSummary> {
    const { name } = repository;
    this.progressOf.set(name, { phase: 'fetching', done: 0, total: 0 });
    const mirror = new GitMirror(repository, this.config.git);
    const state = await this.store.repositorySync.getState(name);
    const pushesCovered = state?.pendingPushes ?? 0;
    const last = state?.lastSyncedSha ?? null;
    let branch: string;
    let head: string;
    let hasLast: boolean;
    try {
      branch = await mirror.trackedBranch();
      ({ head, hasSince: hasLast } = await mirror.fetchSince(branch, last));
    } catch (error) {
      throw new ProblemError(
        'repository-sync-failed',
        `Could not fetch ${name}: ${(error as Error).message}`,
        { repository: name },
      );
    }
    const inGlob = storyGlobMatcher(repository.stories);
    const bindings = await this.store.repositorySync.listBindings(name);
    const fromSha = options.full !== true && last !== null && hasLast ? last : null;

    // The files to read, and the paths gone, within the glob.
    const toRead: { path: string; previousPath?: string; blobSha: string }[] = [];
    const deletedPaths: string[] = [];
    if (fromSha === null) {
      const files = (await mirror.listFiles(head)).filter((file) => inGlob(file.path));
      const present = new Set(files.map((file) => file.path));
      // Every file is read: a file changed since the last sync is merged with the story's
      // changes in storyflow; a file as it was last synced leaves the story as it is.
      toRead.push(...files);
      for (const binding of bindings)
        if (!present.has(binding.path)) deletedPaths.push(binding.path);
    } else {
      for (const change of await mirror.diff(fromSha, head)) {
        const wasIn = change.previousPath !== undefined && inGlob(change.previousPath);
        const isIn = inGlob(change.path);
        if (change.status === 'D') {
          if (isIn) deletedPaths.push(change.path);
        } else if (change.status === 'R') {
          if (isIn) {
            toRead.push({
              path: change.path,
              ...(wasIn ? { previousPath: change.previousPath as string } : {}),
              blobSha: change.blobSha,
            });
          } else if (wasIn) deletedPaths.push(change.previousPath as string);
        } else if (isIn) {
          toRead.push({ path: change.path, blobSha: change.blobSha });
        }
      }
    }

    const progress = { phase: 'reading' as const, done: 0, total: toRead.length };
    this.progressOf.set(name, progress);
    const documents = new Map<string, StoryDocument>();
    const changed: ChangedStoryFile[] = [];
    for (let start = 0; start < toRead.length; start += READ_CHUNK) {
      const chunk = toRead.slice(start, start + READ_CHUNK);
      const blobs = await mirror.readBlobs([...new Set(chunk.map((file) => file.blobSha))]);
      for (const file of chunk) {
        changed.push({
          ...file,
          parsed: this.parse(file.path, blobs.get(file.blobSha), documents),
        });
      }
      progress.done += chunk.length;
      await nextTurn();
    }

    const plan = planRepositorySync(bindings, changed, deletedPaths);
    const bases = await readMergeBases(mirror, bindings, plan, documents);
    this.progressOf.set(name, { phase: 'importing', done: 0, total: plan.imports.length });
    const at = { branch, fromSha, startedFrom: last, head, pushesCovered };
    const summary = emptySummary(name, plan, at);
    // Transactions of IMPORT_CHUNK files, so a first sync of thousands of files never holds the
    // write lock or the event loop (and the webhooks behind them) for long. The sync is recorded with the last one:
    // a sync cut short runs again from the same commit, and files already imported are unchanged.
    const boundHere = new Set(bindings.map((binding) => binding.storyId));
    const partContext: SyncPartContext = {
      stories: this.stories,
      workflow: this.config.workflow,
      clock: this.clock,
      otherRepositories: this.names().filter((other) => other !== name),
      progress: this.progressOf.get(name),
    };
    const chunks = Math.max(1, Math.ceil(plan.imports.length / IMPORT_CHUNK));
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      await this.store.transaction((tx) =>
        applySyncPart(tx, partContext, repository, plan, { documents, bases }, at, summary, {
          unbinds: chunk === 0,
          imports: plan.imports.slice(chunk * IMPORT_CHUNK, (chunk + 1) * IMPORT_CHUNK),
          last: chunk === chunks - 1,
          boundHere,
        }),
      );
      await nextTurn();
    }
    return summary;
  }

  private parse(
    path: string,
    bytes: Buffer | undefined,
    documents: Map<string, StoryDocument>,
  ): ChangedStoryFile['parsed'] {
    if (bytes === undefined) return { error: 'the file could not be read from the mirror' };
    let text: string;
    try {
      text = UTF8.decode(bytes);
    } catch {
      return { error: 'not UTF-8' };
    }
    try {
      const document = parseStory(this.config.workflow, text);
      documents.set(path, document);
      return { id: document.fields.id as string };
    } catch (error) {
      const fieldErrors =
        error instanceof ProblemError
          ? ((error.extensions.errors as { field?: string; message: string }[] | undefined) ?? [])
          : [];
      const message =
        fieldErrors.map((issue) => issue.message).join('; ') || (error as Error).message;
      return { error: message };
    }
  }
}
