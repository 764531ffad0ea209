// A link as a person or a pipeline step asks for it (POST /stories/{id}/links, a batch `link`
// operation): what is checked, whichever door it comes through.
import type { LinkType } from './link-type.js';

/** `owner/name` or `group/subgroup/project`: segments without slashes or white space. */
export const REPOSITORY_NAME_PATTERN = '^[^/\\s]+(/[^/\\s]+)+$';

/** Longest stored value of each field of a link, in characters. */
export const LINK_FIELD_LIMITS = {
  repository: 256,
  key: 1024,
  state: 64,
  url: 2048,
  title: 1024,
  sha: 128,
  environment: 256,
} as const;

export interface LinkInput {
  type: LinkType;
  repository: string;
  key: string;
  state?: string | null;
  url?: string | null;
  title?: string | null;
  sha?: string | null;
  environment?: string | null;
}

const repositoryName = new RegExp(REPOSITORY_NAME_PATTERN);

export function isRepositoryName(value: string): boolean {
  return value.length <= LINK_FIELD_LIMITS.repository && repositoryName.test(value);
}
