// Bitbucket Cloud `repo:push`: one push carries several ref changes, each with its commits.

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
import {
  type BitbucketEventBase,
  bitbucketCloudEventBase,
  NO_CLOUD_REPOSITORY,
} from './bitbucket-event-base.js';

/**
 * Each entry of `push.changes[]`, in order:
 * - a branch created (`created: true`, `old: null`) → branch.created, then push (its commits);
 * - a branch deleted (`closed: true`, `new: null`) → branch.deleted (sha = old.target.hash);
 * - a branch updated → push (sha = new.target.hash, commits, url = the change's compare page);
 * - a tag (or a Mercurial bookmark) → nothing.
 * The delivery is ignored when no change gives an event. Bitbucket lists the commits newest
 * first and at most 5 of them (`truncated: true` when there were more); they are given oldest
 * first, as GitHub does. A push carries no push time, so occurredAt is left out.
 */
export function normalizeBitbucketCloudPush(payload: unknown): AdapterResult {
  const base = bitbucketCloudEventBase(payload);
  if (!base) return ignored(NO_CLOUD_REPOSITORY);
  const changes = arrayAt(payload, 'push', 'changes');
  if (changes.length === 0) return ignored('repo:push payload has no push.changes');
  const events = changes.flatMap((change) => changeEvents(base, change));
  if (events.length === 0) return ignored('repo:push changes no branch');
  return emitted(...events);
}

function changeEvents(base: BitbucketEventBase, change: unknown): NormalizedEvent[] {
  if (booleanAt(change, 'closed') === true || valueAt(change, 'new') === null) {
    const branch =
      stringAt(change, 'old', 'type') === 'branch' ? stringAt(change, 'old', 'name') : undefined;
    if (branch === undefined) return [];
    const sha = stringAt(change, 'old', 'target', 'hash');
    return [withoutUndefined({ kind: 'branch.deleted', ...base, branch, sha })];
  }
  const branch =
    stringAt(change, 'new', 'type') === 'branch' ? stringAt(change, 'new', 'name') : undefined;
  const sha = stringAt(change, 'new', 'target', 'hash');
  if (branch === undefined || sha === undefined) return [];
  const push: NormalizedEvent = withoutUndefined({
    kind: 'push',
    ...base,
    branch,
    sha,
    commits: cloudCommits(change),
    url: stringAt(change, 'links', 'html', 'href'),
  });
  if (booleanAt(change, 'created') === true) {
    return [withoutUndefined({ kind: 'branch.created', ...base, branch, sha }), push];
  }
  return [push];
}

/** A change's commits, oldest first. */
function cloudCommits(change: unknown): NormalizedCommit[] {
  const commits: NormalizedCommit[] = [];
  for (const commit of arrayAt(change, 'commits')) {
    const sha = stringAt(commit, 'hash');
    if (sha === undefined) continue;
    commits.push({ sha, message: textAt(commit, 'message'), author: cloudAuthor(commit) });
  }
  return commits.reverse();
}

/**
 * The author's name: `author.raw` is the git author line (`Name <email>`), of which the name is
 * kept; else the Bitbucket account's display name (`author.user`, or the author itself in the
 * documentation's older example).
 */
export function cloudAuthor(commit: unknown): string {
  const raw = stringAt(commit, 'author', 'raw');
  const name = raw?.replace(/\s*<[^>]*>\s*$/, '').trim();
  return (
    (name || undefined) ??
    stringAt(commit, 'author', 'user', 'display_name') ??
    stringAt(commit, 'author', 'display_name') ??
    ''
  );
}
