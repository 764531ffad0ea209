// What is linked to each story: branches, commits, PRs/MRs, pipelines, deployments.

import type { EventSubject, FactPosition } from '../domain/events/event-order.js';
import type { LinkType } from '../domain/links/link-type.js';
import type { LinkTemplate } from '../domain/links/links-for-event.js';

export { LINK_TYPES, type LinkType } from '../domain/links/link-type.js';

/** What an event links (a LinkTemplate), stored for one story of one repository. */
export interface StoryLink extends LinkTemplate {
  story: string;
  repository: string;
  createdAt: string;
  updatedAt: string;
}

/** The newest fact applied about a deployment, pipeline or PR, and where it came from. */
export interface LatestFact extends FactPosition {
  kind: string;
  deliveryId: string | null;
  eventIndex: number | null;
  appliedAt: string;
}

export interface LinkRepository {
  /** Creates or updates links (same story, type, repository and key): the latest state wins. */
  upsertLinks(links: StoryLink[]): Promise<void>;
  listLinks(story: string): Promise<StoryLink[]>;
  /** The links of many stories in a few queries (the console's board), each story's as listLinks orders them. */
  listLinksOfStories(stories: readonly string[]): Promise<StoryLink[]>;
  /** Stories linked to this branch, commit, PR, … of a repository. */
  findLinkedStories(type: LinkType, repository: string, key: string): Promise<string[]>;
  /**
   * The PR links of these stories whose state is `open` or `draft`, in any repository (for the
   * `pullRequests: last` rule condition).
   */
  findOpenPullRequests(stories: readonly string[]): Promise<StoryLink[]>;
  /** Stories linked to anything (commit, PR merge, deployment) at this sha. */
  findStoriesBySha(repository: string, sha: string): Promise<string[]>;
  /**
   * When the newest successful deployment of `repository` to `environment` still standing was
   * applied (ISO-8601): from the deployment facts (every `deployment.succeeded` whose
   * deployment has not failed or been rolled back since) and the deployment links of stories.
   */
  lastSuccessfulDeployment(repository: string, environment: string): Promise<string | undefined>;
  /**
   * Stories whose work reached a default branch of `repository` after `since` (every time when
   * null): a PR link in state `merged`, or a link to one of `defaultBranches` (commits pushed to
   * it), updated after `since`. At most `limit` ids, in id order.
   */
  findShippedSince(
    repository: string,
    since: string | null,
    defaultBranches: readonly string[],
    limit: number,
  ): Promise<string[]>;
  /**
   * The newest fact applied about `subject`, if any. In a transaction on PostgreSQL the subject
   * stays locked until the transaction ends, so two deliveries about it apply one after the
   * other (SQLite transactions already do).
   */
  lockLatestFact(subject: EventSubject): Promise<LatestFact | undefined>;
  /** Remembers `fact` as the newest applied about `subject`. */
  recordLatestFact(subject: EventSubject, fact: LatestFact): Promise<void>;
}
