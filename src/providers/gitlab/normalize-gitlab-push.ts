// GitLab Push Hook.

import type { NormalizedCommit, NormalizedEvent } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { arrayAt, stringAt, textAt, withoutUndefined } from '../payload-fields.js';
import { gitlabEventBase, isZeroSha, NO_PROJECT } from './gitlab-event-base.js';

const BRANCH_PREFIX = 'refs/heads/';

/**
 * A branch push → push (commits; sha = `after`). `before` all zeros (new branch) →
 * branch.created, then push. `after` all zeros (deleted branch) → branch.deleted only, with
 * sha = `before`. Push hooks carry no push time, so occurredAt is left out. GitLab lists at most
 * 20 commits (total_commits_count has the real number).
 */
export function normalizeGitlabPush(payload: unknown): AdapterResult {
  const base = gitlabEventBase(payload);
  if (!base) return ignored(NO_PROJECT);
  const ref = stringAt(payload, 'ref');
  if (ref === undefined) return ignored('push payload has no ref');
  if (!ref.startsWith(BRANCH_PREFIX) || ref.length === BRANCH_PREFIX.length) {
    return ignored(`push to ${ref} is not a branch push`);
  }
  const branch = ref.slice(BRANCH_PREFIX.length);
  const before = stringAt(payload, 'before');
  const after = stringAt(payload, 'after');
  if (isZeroSha(after)) {
    return emitted(withoutUndefined({ kind: 'branch.deleted', ...base, branch, sha: before }));
  }
  if (after === undefined) return ignored('push payload has no after sha');
  const push: NormalizedEvent = withoutUndefined({
    kind: 'push',
    ...base,
    branch,
    sha: after,
    commits: gitlabCommits(payload),
  });
  if (isZeroSha(before)) {
    return emitted(withoutUndefined({ kind: 'branch.created', ...base, branch, sha: after }), push);
  }
  return emitted(push);
}

function gitlabCommits(payload: unknown): NormalizedCommit[] {
  const commits: NormalizedCommit[] = [];
  for (const commit of arrayAt(payload, 'commits')) {
    const sha = stringAt(commit, 'id');
    if (sha === undefined) continue;
    commits.push({
      sha,
      message: textAt(commit, 'message'),
      author: stringAt(commit, 'author', 'name') ?? '',
    });
  }
  return commits;
}
