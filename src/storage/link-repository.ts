// What is linked to each story: branches, commits, PRs/MRs, pipelines, deployments.

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

export interface LinkRepository {
  /** Creates or updates links (same story, type, repository and key): the latest state wins. */
  upsertLinks(links: StoryLink[]): Promise<void>;
  listLinks(story: string): Promise<StoryLink[]>;
  /** Stories linked to this branch, commit, PR, … of a repository. */
  findLinkedStories(type: LinkType, repository: string, key: string): Promise<string[]>;
  /** Stories linked to anything (commit, PR merge, deployment) at this sha. */
  findStoriesBySha(repository: string, sha: string): Promise<string[]>;
}
