// Gitea/Forgejo `push` events.

import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { stringAt, withoutUndefined } from '../payload-fields.js';
import { pushedBranch, pushedCommits } from '../push-payload.js';
import { giteaEventBase, isZeroSha, NO_REPOSITORY } from './gitea-event-base.js';

/**
 * A branch push → push (commits; sha = `after`, url = compare_url). `before` all zeros (a new
 * branch) → branch.created, then push. `after` all zeros (a deleted branch) → branch.deleted
 * only, with sha = `before` (Gitea reports deletions with the `delete` event; this covers a
 * forge that sends both). Tags and other refs are ignored. The payload has no push time, so
 * occurredAt is left out (commit timestamps are when the commits were made, not pushed).
 */
export function normalizeGiteaPush(payload: unknown): AdapterResult {
  const base = giteaEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
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
    url: stringAt(payload, 'compare_url'),
  });
  if (isZeroSha(before)) {
    return emitted(withoutUndefined({ kind: 'branch.created', ...base, branch, sha: after }), push);
  }
  return emitted(push);
}
