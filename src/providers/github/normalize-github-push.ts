// GitHub `push` events.

import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { booleanAt, stringAt, valueAt, withoutUndefined } from '../payload-fields.js';
import { pushedBranch, pushedCommits } from '../push-payload.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { githubEventBase, NO_REPOSITORY } from './github-event-base.js';

/**
 * A push to a branch → push (with its commits; sha = `after`). A push that creates the branch
 * (`created: true`) → branch.created, then push, so a hook subscribed to `push` alone still
 * sees new branches (the separate `create` event gives a second branch.created; consumers treat
 * it as idempotent). A push that deletes the branch (`deleted: true`) → branch.deleted only,
 * with sha = `before` (the last commit the branch had). Tag pushes and other refs are ignored.
 */
export function normalizeGithubPush(payload: unknown): AdapterResult {
  const base = githubEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const branch = pushedBranch(payload);
  if (typeof branch !== 'string') return branch;
  const occurredAt = toIsoTimestamp(valueAt(payload, 'repository', 'pushed_at'));
  const common = { ...base, branch, occurredAt };

  if (booleanAt(payload, 'deleted') === true) {
    return emitted(
      withoutUndefined({ kind: 'branch.deleted', ...common, sha: stringAt(payload, 'before') }),
    );
  }
  const sha = stringAt(payload, 'after');
  if (sha === undefined) return ignored('push payload has no after sha');
  const push: NormalizedEvent = withoutUndefined({
    kind: 'push',
    ...common,
    sha,
    commits: pushedCommits(payload),
    url: stringAt(payload, 'compare'),
  });
  if (booleanAt(payload, 'created') === true) {
    return emitted(withoutUndefined({ kind: 'branch.created', ...common, sha }), push);
  }
  return emitted(push);
}
