// Stories as code, outbound (docs/git-sync.md): writes the queued changes of one repository's
// bound stories to their files as one commit. For each story the file at the branch's head is
// compared with the blob last synced: unchanged, it gets storyflow's current document bytes;
// already holding them (a push that landed before a crash), nothing is written; changed in the
// repository since, it is left to the inbound sync and the change waits for it. The commit is
// built with git's plumbing in the bare mirror and pushed: to the tracked branch (`commit`,
// retried on a non-fast-forward) or to `storyflow/updates` (`pull-request`, where the one pull
// request from it is then opened or updated through the outbox: write-back-pull-requests.ts).
// After the push the bindings record what was written, so the push's own webhook imports
// nothing (no echo).
import type { Config, RepositoryConfig } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import { writeBackMessage } from '../../domain/repositories/write-back-message.js';
import {
  changeLinesOf,
  type PullRequestText,
  UPDATES_BRANCH,
  writeBackPullRequest,
} from '../../domain/repositories/write-back-pull-request.js';
import type { RepositoryBinding } from '../../storage/repository-sync-repository.js';
import type { WriteBackIntent } from '../../storage/repository-writeback-repository.js';
import type { Store } from '../../storage/store.js';
import { GitMirror } from './git-mirror.js';
import type { WriteBackPullRequests } from './write-back-pull-requests.js';

export { UPDATES_BRANCH };

/** Fetch, re-apply and push again at most this often when the branch moved meanwhile. */
const MAX_PUSH_TRIES = 5;

const DEFAULT_AUTHOR = { name: 'storyflow', email: 'storyflow@localhost' };

/** What one write-back did. */
export interface WriteBackOutcome {
  /** The commit pushed (null: nothing needed writing). */
  commit: string | null;
  branch: string | null;
  /** Stories written, already up to date, waiting for the inbound sync, or no longer bound. */
  written: string[];
  upToDate: string[];
  deferred: { storyId: string; reason: string }[];
  dropped: { storyId: string; reason: string }[];
  /**
   * pull-request mode, storyflow/updates holding changes: whether the pull request's open or
   * update was queued (false: none can be opened; the repository's status says why).
   */
  pullRequestQueued?: boolean;
}

/** A story's file and what storyflow holds for it. */
interface StoryFile {
  storyId: string;
  binding: RepositoryBinding;
  blobSha: string;
  intents: WriteBackIntent[];
}

export class RepositoryWriteBack {
  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, 'git'>,
    private readonly clock: Clock,
    /** A change waits for the inbound sync: ask for one (wakes the sync runner). */
    private readonly requestSync: (repository: string) => Promise<void>,
    /** pull-request mode: opens or updates the branch's pull request (none: never opened). */
    private readonly pullRequests?: WriteBackPullRequests,
  ) {}

  /** Writes back every queued change of the repository (call it under the repository's lock). */
  async run(repository: RepositoryConfig): Promise<WriteBackOutcome> {
    const intents = await this.store.repositoryWriteBacks.listIntents(repository.name);
    const outcome: WriteBackOutcome = {
      commit: null,
      branch: null,
      written: [],
      upToDate: [],
      deferred: [],
      dropped: [],
    };
    if (intents.length === 0) return outcome;
    if (repository.writeBack === 'off') {
      await this.store.repositoryWriteBacks.remove(intents.map((intent) => intent.id));
      return outcome;
    }
    const mirror = new GitMirror(repository, this.config.git);
    const tracked = await mirror.trackedBranch();
    const target = repository.writeBack === 'commit' ? tracked : UPDATES_BRANCH;
    outcome.branch = target;
    for (let attempt = 1; ; attempt += 1) {
      const head = await mirror.fetch(tracked);
      const files = await this.plan(repository, mirror, head, intents, outcome);
      const toWrite = files.write;
      if (toWrite.length === 0) {
        await this.finish(repository, files, outcome, null, head);
        return outcome;
      }
      // pull-request: on top of storyflow/updates while it is based on the tracked head, else
      // a new start from the tracked head (the documents carry every change still pending).
      const updates = target === tracked ? head : await mirror.fetchOptional(target);
      const parent =
        target === tracked || updates === null || !(await mirror.isAncestor(head, updates))
          ? head
          : updates;
      const current = parent === head ? files.atHead : await mirror.filesAt(parent, paths(toWrite));
      const changed = toWrite.filter(
        (file) => current.get(file.binding.path)?.blobSha !== file.blobSha,
      );
      if (changed.length === 0) {
        // storyflow/updates already holds them (pushed before a crash): its pull request still
        // has to say so.
        const text = await this.pullRequestText(repository, mirror, tracked, head, parent);
        await this.finish(repository, files, outcome, parent, head, text);
        return outcome;
      }
      const commit = await mirror.commitFiles({
        parent,
        files: changed.map((file) => ({
          path: file.binding.path,
          blobSha: file.blobSha,
          mode: current.get(file.binding.path)?.mode ?? '100644',
        })),
        message: writeBackMessage(changed.flatMap((file) => file.intents)),
        author: repository.author ?? DEFAULT_AUTHOR,
        at: this.clock.now(),
      });
      const pushed =
        target === tracked
          ? await mirror.push(commit, target)
          : await mirror.push(commit, target, updates);
      if (pushed === 'pushed') {
        outcome.commit = commit;
        const text = await this.pullRequestText(repository, mirror, tracked, head, commit);
        await this.finish(repository, files, outcome, commit, head, text);
        return outcome;
      }
      if (attempt >= MAX_PUSH_TRIES) {
        throw new Error(
          `${repository.name}: ${target} moved during each of ${MAX_PUSH_TRIES} pushes; tried again later`,
        );
      }
    }
  }

  /**
   * pull-request mode: the pull request's title and body for the branch at `tip` — the stories
   * whose files differ from the tracked head, and the changes its commits name.
   */
  private async pullRequestText(
    repository: RepositoryConfig,
    mirror: GitMirror,
    tracked: string,
    head: string,
    tip: string,
  ): Promise<{ base: string; text: PullRequestText } | undefined> {
    if (repository.writeBack !== 'pull-request' || this.pullRequests === undefined) return;
    if (this.pullRequests.unavailable(repository) !== null) return;
    const changed = new Set((await mirror.diff(head, tip)).map((change) => change.path));
    const bindings = await this.store.repositorySync.listBindings(repository.name);
    const text = writeBackPullRequest({
      base: tracked,
      head: UPDATES_BRANCH,
      stories: bindings
        .filter((binding) => changed.has(binding.path))
        .map((binding) => ({ storyId: binding.storyId, path: binding.path })),
      changes: (await mirror.messages(head, tip)).flatMap(changeLinesOf),
    });
    return { base: tracked, text };
  }

  /** Sorts the queued stories by what their file at the head holds. */
  private async plan(
    repository: RepositoryConfig,
    mirror: GitMirror,
    head: string,
    intents: readonly WriteBackIntent[],
    outcome: WriteBackOutcome,
  ) {
    outcome.written = [];
    outcome.upToDate = [];
    outcome.deferred = [];
    outcome.dropped = [];
    const bindings = await this.store.repositorySync.listBindings(repository.name);
    const byStory = new Map<string, WriteBackIntent[]>();
    for (const intent of intents) {
      byStory.set(intent.storyId, [...(byStory.get(intent.storyId) ?? []), intent]);
    }
    const candidates: StoryFile[] = [];
    const dropped: WriteBackIntent[] = [];
    const stories = await this.store.stories.getStories([...byStory.keys()]);
    const documents = new Map(stories.map((story) => [story.id, story.document]));
    for (const [storyId, queued] of byStory) {
      const binding = bindings.find((entry) => entry.storyId === storyId);
      const document = documents.get(storyId);
      if (binding === undefined || document === undefined) {
        const reason =
          binding === undefined ? 'no longer bound to a file' : 'the story was deleted';
        outcome.dropped.push({ storyId, reason });
        dropped.push(...queued);
        continue;
      }
      const blobSha = await mirror.writeBlob(Buffer.from(document, 'utf8'));
      candidates.push({ storyId, binding, blobSha, intents: queued });
    }
    const atHead = await mirror.filesAt(
      head,
      candidates.map((file) => file.binding.path),
    );
    const write: StoryFile[] = [];
    const upToDate: StoryFile[] = [];
    const deferred: StoryFile[] = [];
    for (const file of candidates) {
      const inRepository = atHead.get(file.binding.path);
      if (inRepository?.blobSha === file.blobSha) {
        upToDate.push(file);
        outcome.upToDate.push(file.storyId);
      } else if (inRepository?.blobSha === file.binding.blobSha) {
        write.push(file);
        outcome.written.push(file.storyId);
      } else {
        deferred.push(file);
        outcome.deferred.push({
          storyId: file.storyId,
          reason:
            inRepository === undefined
              ? `${file.binding.path} is gone from ${head.slice(0, 12)}; waiting for the inbound sync`
              : `${file.binding.path} changed in the repository since the last sync; waiting for the inbound sync`,
        });
      }
    }
    return { write, upToDate, deferred, dropped, atHead };
  }

  /**
   * Records the outcome in one transaction: the bindings of the files written (commit mode:
   * the commit now holds them, and the sync point moves to it when the push fast-forwarded
   * from it), the intents taken off, and the ones waiting for the inbound sync postponed.
   */
  private async finish(
    repository: RepositoryConfig,
    files: Awaited<ReturnType<RepositoryWriteBack['plan']>>,
    outcome: WriteBackOutcome,
    commit: string | null,
    head: string,
    pullRequest?: { base: string; text: PullRequestText },
  ): Promise<void> {
    const now = this.clock.now();
    // pull-request: the tracked branch holds the files written only once the PR merges.
    const onBranch = repository.writeBack === 'commit';
    await this.store.transaction(async (tx) => {
      const holding = onBranch ? [...files.write, ...files.upToDate] : files.upToDate;
      const written = new Set(files.write);
      await tx.repositorySync.putBindings(
        holding.map((file) => ({
          ...file.binding,
          blobSha: file.blobSha,
          commitSha: written.has(file) ? (commit ?? head) : head,
          boundAt: now.toISOString(),
        })),
      );
      if (onBranch && commit !== null && commit !== head) {
        await tx.repositoryWriteBacks.advanceSyncedSha(repository.name, head, commit);
      }
      const done = [...files.write, ...files.upToDate].flatMap((file) => file.intents);
      await tx.repositoryWriteBacks.remove([...done, ...files.dropped].map((intent) => intent.id));
      if (pullRequest !== undefined && this.pullRequests !== undefined) {
        outcome.pullRequestQueued = await this.pullRequests.enqueueIn(
          tx,
          repository,
          { head: UPDATES_BRANCH, base: pullRequest.base },
          pullRequest.text,
        );
      } else if (repository.writeBack === 'pull-request' && commit !== null && commit !== head) {
        outcome.pullRequestQueued = false;
      }
      if (files.deferred.length > 0) {
        await tx.repositoryWriteBacks.postpone(
          files.deferred.flatMap((file) => file.intents.map((intent) => intent.id)),
          outcome.deferred.map((entry) => `${entry.storyId}: ${entry.reason}`).join('; '),
          new Date(now.getTime() + 30_000).toISOString(),
          false,
        );
      }
    });
    if (outcome.pullRequestQueued === true) this.pullRequests?.queued();
    if (files.deferred.length > 0) await this.requestSync(repository.name);
  }
}

function paths(files: readonly StoryFile[]): string[] {
  return files.map((file) => file.binding.path);
}
