// Stories as code, outbound, `pull-request` mode (docs/git-sync.md): after a write-back pushed
// storyflow/updates, one pull request (GitLab: merge request) from it into the tracked branch is
// opened or updated through the outbox, queued in the write-back's own transaction, so a forge
// that is down delays it and never loses it. A repository no configured forge covers, or whose
// forge storyflow cannot open pull requests on, still gets its branch; its status says why no
// pull request follows.
import type { ForgeProvider, RepositoryConfig } from '../../config/config.js';
import {
  type PullRequestText,
  UPDATES_BRANCH,
} from '../../domain/repositories/write-back-pull-request.js';
import type { Repositories, Store } from '../../storage/store.js';
import type { PullRequestPayload } from '../outbox/forge-client.js';
import type { OutboxService } from '../outbox/outbox-service.js';

/** The outbox kind of these calls. */
export const PULL_REQUEST_KIND = 'pull-request';

/** The forges whose clients open pull requests (pull-request-call.ts). */
const OPENS_PULL_REQUESTS: ReadonlySet<ForgeProvider> = new Set(['github', 'gitlab', 'gitea']);

/** What a repository's status shows of its pull request. */
export interface WriteBackPullRequestStatus {
  /**
   * opening / updating: queued, or being retried (lastError says why); open: the forge's answer
   * to the last open or update, at updatedAt (storyflow does not watch it afterwards); failed:
   * the forge refused (lastError); unavailable: no pull request can be opened (lastError).
   */
  state: 'opening' | 'updating' | 'open' | 'failed' | 'unavailable';
  number: number | null;
  url: string | null;
  /** The `forges:` entry that opens it. */
  forge: string | null;
  lastError: string | null;
  updatedAt: string | null;
}

export class WriteBackPullRequests {
  constructor(
    private readonly store: Store,
    private readonly outbox: OutboxService,
  ) {}

  /** Why no pull request can be opened for the repository, or null when one can. */
  unavailable(repository: RepositoryConfig): string | null {
    const forge = this.outbox.forgeFor(repository.name, repository.provider);
    if (forge === undefined)
      return `no ${repository.provider} entry in forges: covers ${repository.name}, so no pull request is opened; the changes still go to ${UPDATES_BRANCH}`;
    if (!OPENS_PULL_REQUESTS.has(forge.provider))
      return `opening pull requests on ${forge.provider} is not built; the changes still go to ${UPDATES_BRANCH}: open one from it by hand`;
    return null;
  }

  /** Queues the open-or-update call in `tx` (the write-back's); false when none can be made. */
  async enqueueIn(
    tx: Repositories,
    repository: RepositoryConfig,
    branches: { head: string; base: string },
    text: PullRequestText,
  ): Promise<boolean> {
    if (this.unavailable(repository) !== null) return false;
    const payload: PullRequestPayload = { repository: repository.name, ...branches, ...text };
    const id = await this.outbox.enqueueIn(tx, {
      repository: repository.name,
      provider: repository.provider,
      kind: PULL_REQUEST_KIND,
      target: targetOf(repository.name, branches.head),
      payload,
    });
    return id !== undefined;
  }

  /** Wakes the outbox sender once the transaction that queued a call committed. */
  queued(): void {
    this.outbox.queued();
  }

  /** The repository's pull request as storyflow last knew it; null when none was asked for. */
  async status(repository: RepositoryConfig): Promise<WriteBackPullRequestStatus | null> {
    if (repository.writeBack !== 'pull-request') return null;
    const reason = this.unavailable(repository);
    const forge = this.outbox.forgeFor(repository.name, repository.provider)?.id ?? null;
    if (reason !== null)
      return {
        state: 'unavailable',
        number: null,
        url: null,
        forge,
        lastError: reason,
        updatedAt: null,
      };
    const row = await this.store.outbox.findByTarget(
      PULL_REQUEST_KIND,
      targetOf(repository.name, UPDATES_BRANCH),
    );
    if (row === undefined) return null;
    const number = row.remoteId === null ? null : Number(row.remoteId);
    return {
      state:
        row.status === 'sent'
          ? 'open'
          : row.status === 'dead'
            ? 'failed'
            : row.remoteId === null
              ? 'opening'
              : 'updating',
      number: number !== null && Number.isSafeInteger(number) ? number : null,
      url: row.remoteUrl,
      forge: row.forge,
      lastError: row.lastError,
      updatedAt: row.updatedAt,
    };
  }
}

/** The outbox target of a repository's pull request: `owner/name:storyflow/updates`. */
function targetOf(repository: string, head: string): string {
  return `${repository}:${head}`;
}
