// What GitHub's `push` and GitLab's Push Hook payloads share: the pushed ref and the commit list
// (`ref`, `commits[].id`, `.message`, `.author.name`).

import type { NormalizedCommit } from '../domain/events/normalized-event.js';
import { type AdapterResult, ignored } from './adapter-result.js';
import { arrayAt, stringAt, textAt } from './payload-fields.js';

const BRANCH_PREFIX = 'refs/heads/';

/** The branch a push is to (`refs/heads/<branch>`), or the push ignored (tags, other refs). */
export function pushedBranch(payload: unknown): string | AdapterResult {
  const ref = stringAt(payload, 'ref');
  if (ref === undefined) return ignored('push payload has no ref');
  if (!ref.startsWith(BRANCH_PREFIX) || ref.length === BRANCH_PREFIX.length) {
    return ignored(`push to ${ref} is not a branch push`);
  }
  return ref.slice(BRANCH_PREFIX.length);
}

/** The pushed commits that have an id; the author is its name (GitHub: else its username). */
export function pushedCommits(payload: unknown): NormalizedCommit[] {
  const commits: NormalizedCommit[] = [];
  for (const commit of arrayAt(payload, 'commits')) {
    const sha = stringAt(commit, 'id');
    if (sha === undefined) continue;
    commits.push({
      sha,
      message: textAt(commit, 'message'),
      author: stringAt(commit, 'author', 'name') ?? stringAt(commit, 'author', 'username') ?? '',
    });
  }
  return commits;
}
