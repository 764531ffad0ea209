// Azure DevOps `git.push` (Code pushed).

import type { NormalizedCommit, NormalizedEvent } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { arrayAt, objectAt, stringAt, textAt, withoutUndefined } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { branchOfRef, gitRepositoryBase, NO_REPOSITORY } from './azure-devops-event-base.js';

const isZeroSha = (sha: string | undefined) => sha !== undefined && /^0+$/.test(sha);

/**
 * One push may update several refs (`resource.refUpdates`); each branch ref gives: push
 * (commits; sha = newObjectId), preceded by branch.created when oldObjectId is all zeros; or
 * branch.deleted alone (sha = oldObjectId) when newObjectId is all zeros. Tags and other refs
 * are skipped; a push with no branch ref is ignored. `resource.commits` (commitId, comment,
 * author.name) go with the push of each branch; actor is pushedBy.uniqueName, occurredAt
 * resource.date.
 */
export function normalizeAzureDevopsPush(payload: unknown): AdapterResult {
  const resource = objectAt(payload, 'resource');
  const base = gitRepositoryBase(objectAt(resource, 'repository'));
  if (!base) return ignored(NO_REPOSITORY);
  const common = withoutUndefined({
    ...base,
    actor:
      stringAt(resource, 'pushedBy', 'uniqueName') ?? stringAt(resource, 'pushedBy', 'displayName'),
    occurredAt: toIsoTimestamp(stringAt(resource, 'date')),
  });
  const commits = pushedCommits(resource);
  const events: NormalizedEvent[] = [];
  for (const update of arrayAt(resource, 'refUpdates')) {
    const branch = branchOfRef(stringAt(update, 'name'));
    if (branch === undefined) continue;
    const before = stringAt(update, 'oldObjectId');
    const after = stringAt(update, 'newObjectId');
    if (isZeroSha(after)) {
      events.push(withoutUndefined({ kind: 'branch.deleted', ...common, branch, sha: before }));
      continue;
    }
    if (after === undefined) continue;
    if (isZeroSha(before)) events.push({ kind: 'branch.created', ...common, branch, sha: after });
    events.push({ kind: 'push', ...common, branch, sha: after, commits });
  }
  if (events.length === 0) return ignored('push updates no branch (refs/heads/…)');
  return emitted(...events);
}

function pushedCommits(resource: unknown): NormalizedCommit[] {
  const commits: NormalizedCommit[] = [];
  for (const commit of arrayAt(resource, 'commits')) {
    const sha = stringAt(commit, 'commitId');
    if (sha === undefined) continue;
    commits.push({
      sha,
      message: textAt(commit, 'comment'),
      author: stringAt(commit, 'author', 'name') ?? '',
    });
  }
  return commits;
}
