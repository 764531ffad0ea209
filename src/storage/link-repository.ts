// What is linked to each story: branches, commits, PRs/MRs, pipelines, deployments.

import type { LinkType } from '../domain/links/link-type.js';

export { LINK_TYPES, type LinkType } from '../domain/links/link-type.js';

export interface StoryLink {
  story: string;
  type: LinkType;
  repository: string;
  /** Branch name, commit sha, PR number, pipeline id, or deployment environment. */
  key: string;
  /** Latest state: open/draft/merged/closed (PR), active/deleted (branch), the pipeline's or deployment's status. */
  state: string | null;
  url: string | null;
  title: string | null;
  sha: string | null;
  environment: string | null;
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
