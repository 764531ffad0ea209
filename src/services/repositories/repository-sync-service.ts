// Stories as code, inbound (docs/git-sync.md): brings a configured repository's story files into
// storyflow. Fetches the tracked branch into the repository's mirror, diffs the last synced
// commit's tree against the new head within the `stories:` glob (or lists the whole tree on a
// first or full sync), and imports added and changed files byte for byte through the story
// service, with the commit as the source of each history entry. Deleted files follow onDelete.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Config, RepositoryConfig } from '../../config/config.js';
import type { AuditActor } from '../../domain/audit/audit-entry.js';
import { auditEntry } from '../../domain/audit/audit-entry.js';
import type { Clock } from '../../domain/clock.js';
import {
  type ChangedStoryFile,
  planRepositorySync,
  type RepositorySyncPlan,
} from '../../domain/repositories/plan-repository-sync.js';
import { sameRepositoryName } from '../../domain/repositories/repository-name.js';
import { storyGlobMatcher } from '../../domain/repositories/story-glob-matcher.js';
import type { StoryDocument } from '../../domain/story/story-document.js';
import { isKnownStatus } from '../../domain/story/workflow.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { WriteBackSummary } from '../../storage/repository-writeback-repository.js';
import type { Repositories, Store } from '../../storage/store.js';
import { parseStory } from '../story-documents.js';
import type { StoryService } from '../story-service.js';
import { GitMirror } from './git-mirror.js';
import { inboundStory } from './merge-inbound-story.js';
import { GIT_SYNC_MERGE_ACTOR_ID } from './queue-write-backs.js';
import { recordConflicts } from './record-conflicts.js';
import { RepositoryConflictService } from './repository-conflict-service.js';
import { refuseConflictingClaims } from './story-claims.js';
import { readMergeBases, storiesById } from './sync-reads.js';
import type {
  WriteBackPullRequestStatus,
  WriteBackPullRequests,
} from './write-back-pull-requests.js';

/** What a sync did, as the API answers it. */
export interface RepositorySyncSummary {
  repository: string;
  branch: string;
  /** The commit synced from (null: the whole tree was read) and to. */
  fromSha: string | null;
  sha: string;
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Files that moved; their stories stay bound to the new path. */
  renamed: { storyId: string; from: string; to: string }[];
  /** Stories whose file was deleted (or now holds another id), by what happened to them. */
  unbound: string[];
  cancelled: string[];
  deleted: string[];
  /**
   * Files not imported: one id in several files (no cause); or the id is bound to a file of
   * another repository (`bound-elsewhere`), or is a story made in storyflow whose document is
   * not the file's bytes (`made-in-storyflow`).
   */
  conflicts: {
    storyId: string;
    paths: string[];
    cause?: 'bound-elsewhere' | 'made-in-storyflow';
    boundIn?: { repository: string; path: string };
  }[];
  /** Files in the glob that are not story documents storyflow accepts. */
  errors: { path: string; message: string }[];
  /** Stories changed in storyflow and in the file since the last sync, merged three-way. */
  merged: string[];
  /** Keys changed on both sides: the repository's value was kept (GET …/conflicts lists them). */
  mergeConflicts: { id: string; storyId: string; path: string; key: string }[];
}

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
    const chunks = Math.max(1, Math.ceil(plan.imports.length / IMPORT_CHUNK));
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      await this.store.transaction((tx) =>
        this.apply(tx, repository, plan, { documents, bases }, at, summary, {
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

  private async apply(
    tx: Repositories,
    repository: RepositoryConfig,
    plan: RepositorySyncPlan,
    files: { documents: Map<string, StoryDocument>; bases: Map<string, string> },
    at: SyncPoint,
    summary: RepositorySyncSummary,
    part: {
      unbinds: boolean;
      imports: RepositorySyncPlan['imports'];
      last: boolean;
      /** The ids bound in this repository when the sync began. */
      boundHere: ReadonlySet<string>;
    },
  ): Promise<void> {
    const { name } = repository;
    const now = this.clock.now().toISOString();
    const actor: AuditActor = { type: 'system', id: 'git-sync', name: `git ${name}` };
    const source = (path: string) => `${name}@${at.head}:${path}`;

    const unbinds = part.unbinds ? plan.unbinds : [];
    await tx.repositorySync.removeBindings(
      name,
      unbinds.map((unbind) => unbind.path),
    );
    // Read once, not a query per file; a story deleted below is taken out.
    const present = await storiesById(
      tx,
      unbinds.map((unbind) => unbind.storyId),
    );
    for (const unbind of unbinds) {
      const reason =
        unbind.cause === 'deleted'
          ? `file deleted in ${source(unbind.path)}`
          : `file now holds another story in ${source(unbind.path)}`;
      const context = { actor, requestId: null, reason };
      const onDelete = unbind.cause === 'deleted' ? repository.onDelete : 'keep';
      if (!present.has(unbind.storyId)) continue;
      if (onDelete === 'delete') {
        await this.stories.deleteIn(tx, unbind.storyId, undefined, context);
        present.delete(unbind.storyId);
        summary.deleted.push(unbind.storyId);
        continue;
      }
      if (onDelete === 'cancel' && isKnownStatus(this.config.workflow, 'cancelled')) {
        await this.stories.applyFieldsIn(
          tx,
          unbind.storyId,
          { status: 'cancelled' },
          'story.transitioned',
          context,
        );
        summary.cancelled.push(unbind.storyId);
      } else {
        summary.unbound.push(unbind.storyId);
      }
      await tx.audit.append([
        auditEntry({
          occurredAt: now,
          actor,
          action: 'story.unbound',
          targetType: 'story',
          targetId: unbind.storyId,
          before: { repository: name, path: unbind.path },
          after: null,
          reason,
        }),
      ]);
    }

    // Files claiming ids not bound here yet: refused when another repository or storyflow holds them.
    const claims = part.imports
      .filter((file) => !part.boundHere.has(file.storyId))
      .map((file) => ({
        path: file.path,
        storyId: file.storyId,
        text: (files.documents.get(file.path) as StoryDocument).text,
      }));
    const others = this.names().filter((other) => other !== name);
    const { refused, conflicts } = await refuseConflictingClaims(tx, name, others, claims, {
      actor,
      at: now,
      source,
    });
    summary.conflicts.push(...conflicts);
    const kept = part.imports.filter((file) => !refused.has(file.path));
    // The chunk's stories, read once: for the merges and for importIn.
    const stored = await storiesById(
      tx,
      kept.map((file) => file.storyId),
    );
    // Each file changed on both sides since the last sync is merged three-way with storyflow's
    // changes (the base is the binding's blob); without a base it is imported as it is.
    const plain: { path: string; document: StoryDocument }[] = [];
    const merged: { path: string; document: StoryDocument }[] = [];
    for (const file of kept) {
      const base = files.bases.get(file.path);
      const inbound = inboundStory({
        workflow: this.config.workflow,
        incoming: files.documents.get(file.path) as StoryDocument,
        stored: base === undefined ? undefined : stored.get(file.storyId)?.document,
        base,
      });
      if (inbound.merged) summary.merged.push(file.storyId);
      await recordConflicts(tx, inbound.conflicts, {
        repository: name,
        path: file.path,
        storyId: file.storyId,
        commitSha: at.head,
        at: now,
        actor,
        summary,
      });
      if (inbound.document === undefined) summary.unchanged.push(file.storyId);
      else (inbound.merged ? merged : plain).push({ path: file.path, document: inbound.document });
    }
    // One import of the chunk's files (one audit append, as POST /stories/import makes), each
    // file's path as its story's reason. A merged document differs from the file, so it is
    // imported as the merge (MERGE_ACTOR_ID), whose changes are written back to the file.
    for (const [group, by] of [
      [plain, actor],
      [merged, { ...actor, id: GIT_SYNC_MERGE_ACTOR_ID, name: `git ${name} (merged)` }],
    ] as const) {
      if (group.length === 0) continue;
      const results = await this.stories.importIn(
        tx,
        group.map((item) => item.document),
        { actor: by, requestId: null, reason: null },
        group.map((item) => `imported from ${source(item.path)}`),
        stored,
      );
      for (const result of results) summary[result.action].push(result.id);
    }
    const renamed = kept.filter((file) => file.previousPath !== undefined);
    // The chunk's bindings in a statement or two, not one per file (a rename's old path is
    // never another file's new one: diff-tree renames only from deleted paths).
    await tx.repositorySync.removeBindings(
      name,
      renamed.map((file) => file.previousPath as string),
    );
    for (const file of renamed) {
      const from = file.previousPath as string;
      summary.renamed.push({ storyId: file.storyId, from, to: file.path });
    }
    await tx.repositorySync.putBindings(
      kept.map((file) => ({
        repository: name,
        path: file.path,
        storyId: file.storyId,
        blobSha: file.blobSha,
        commitSha: at.head,
        boundAt: now,
      })),
    );
    const progress = this.progressOf.get(name);
    if (progress?.phase === 'importing') progress.done += kept.length;
    if (part.last) {
      await tx.repositorySync.markSynced(name, at.head, now, at.pushesCovered, at.startedFrom);
    }
  }
}

/** Where a sync starts and ends. */
interface SyncPoint {
  branch: string;
  fromSha: string | null;
  /** The sync point when the sync started (fromSha is null for a whole-folder sync). */
  startedFrom: string | null;
  head: string;
  /** Pushes recorded before the fetch: the ones this sync covers. */
  pushesCovered: number;
}

function emptySummary(
  name: string,
  plan: RepositorySyncPlan,
  at: SyncPoint,
): RepositorySyncSummary {
  return {
    repository: name,
    branch: at.branch,
    fromSha: at.fromSha,
    sha: at.head,
    created: [],
    updated: [],
    unchanged: [],
    renamed: [],
    unbound: [],
    cancelled: [],
    deleted: [],
    conflicts: plan.conflicts,
    errors: plan.errors,
    merged: [],
    mergeConflicts: [],
  };
}
