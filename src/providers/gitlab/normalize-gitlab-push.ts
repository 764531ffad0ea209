// GitLab Push Hook.

import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { stringAt, withoutUndefined } from '../payload-fields.js';
import { pushedBranch, pushedCommits } from '../push-payload.js';
import { gitlabEventBase, isZeroSha, NO_PROJECT } from './gitlab-event-base.js';

/**
 * A branch push → push (commits; sha = `after`). `before` all zeros (new branch) →
 * branch.created, then push. `after` all zeros (deleted branch) → branch.deleted only, with
 * sha = `before`. Push hooks carry no push time, so occurredAt is left out. GitLab lists at most
 * 20 commits (total_commits_count has the real number).
 */
export function normalizeGitlabPush(payload: unknown): AdapterResult {
  const base = gitlabEventBase(payload);
  if (!base) return ignored(NO_PROJECT);
  const branch = pushedBranch(payload);
  if (typeof branch !== 'string') return branch;
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
    commits: pushedCommits(payload),
  });
  if (isZeroSha(before)) {
    return emitted(withoutUndefined({ kind: 'branch.created', ...base, branch, sha: after }), push);
  }
  return emitted(push);
}
