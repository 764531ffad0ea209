// GitHub `push` events.

import type { NormalizedCommit, NormalizedEvent } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import {
  arrayAt,
  booleanAt,
  stringAt,
  textAt,
  valueAt,
  withoutUndefined,
} from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { githubEventBase, NO_REPOSITORY } from './github-event-base.js';

const BRANCH_PREFIX = 'refs/heads/';

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
  const ref = stringAt(payload, 'ref');
  if (ref === undefined) return ignored('push payload has no ref');
  if (!ref.startsWith(BRANCH_PREFIX) || ref.length === BRANCH_PREFIX.length) {
    return ignored(`push to ${ref} is not a branch push`);
  }
  const branch = ref.slice(BRANCH_PREFIX.length);
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
    commits: githubCommits(payload),
    url: stringAt(payload, 'compare'),
  });
  if (booleanAt(payload, 'created') === true) {
    return emitted(withoutUndefined({ kind: 'branch.created', ...common, sha }), push);
  }
  return emitted(push);
}

function githubCommits(payload: unknown): NormalizedCommit[] {
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
