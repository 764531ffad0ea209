// Bitbucket Data Center `repo:refs_changed`: a push of one or more refs.

import type { NormalizedCommit, NormalizedEvent } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { arrayAt, isObject, stringAt, textAt, withoutUndefined } from '../payload-fields.js';
import { bitbucketDataCenterEventBase, NO_DATA_CENTER_REPOSITORY } from './bitbucket-event-base.js';

const BRANCH_PREFIX = 'refs/heads/';
const ZERO_SHA = /^0+$/;

/**
 * Each entry of `changes[]`, in order, for refs under refs/heads/: type ADD → branch.created,
 * then push; DELETE → branch.deleted (sha = fromHash); UPDATE → push (sha = toHash). Tags are
 * ignored. Since Bitbucket 9 the payload also lists the pushed commits (`commits[]`, the 5
 * most recent by default) once for the whole push; each change gets those reachable from its
 * toHash through the listed parents without passing its fromHash, oldest first. Older versions
 * send no commits: the push then has `commits: []`. occurredAt is the payload's `date`.
 */
export function normalizeBitbucketDataCenterPush(payload: unknown): AdapterResult {
  const base = bitbucketDataCenterEventBase(payload, ['repository']);
  if (!base) return ignored(NO_DATA_CENTER_REPOSITORY);
  const changes = arrayAt(payload, 'changes');
  if (changes.length === 0) return ignored('repo:refs_changed payload has no changes');
  const commits = arrayAt(payload, 'commits').filter(isObject);
  const events: NormalizedEvent[] = [];
  for (const change of changes) {
    const ref = stringAt(change, 'refId') ?? stringAt(change, 'ref', 'id');
    if (ref === undefined || !ref.startsWith(BRANCH_PREFIX) || ref === BRANCH_PREFIX) continue;
    const branch = ref.slice(BRANCH_PREFIX.length);
    const from = stringAt(change, 'fromHash');
    const to = stringAt(change, 'toHash');
    const type = stringAt(change, 'type');
    if (type === 'DELETE' || (to !== undefined && ZERO_SHA.test(to))) {
      events.push(withoutUndefined({ kind: 'branch.deleted', ...base, branch, sha: from }));
      continue;
    }
    if (to === undefined) continue;
    const push: NormalizedEvent = withoutUndefined({
      kind: 'push',
      ...base,
      branch,
      sha: to,
      commits: commitsOfChange(commits, to, from),
    });
    if (type === 'ADD' || (from !== undefined && ZERO_SHA.test(from))) {
      events.push(withoutUndefined({ kind: 'branch.created', ...base, branch, sha: to }), push);
    } else {
      events.push(push);
    }
  }
  if (events.length === 0) return ignored('repo:refs_changed changes no branch');
  return emitted(...events);
}

/** The listed commits reachable from `to` without passing `from`, oldest first. */
function commitsOfChange(
  listed: readonly Record<string, unknown>[],
  to: string,
  from: string | undefined,
): NormalizedCommit[] {
  const byId = new Map<string, Record<string, unknown>>();
  for (const commit of listed) {
    const id = stringAt(commit, 'id');
    if (id !== undefined && !byId.has(id)) byId.set(id, commit);
  }
  const reached = new Set<string>();
  const pending = [to];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    if (id === from || reached.has(id)) continue;
    const commit = byId.get(id);
    if (commit === undefined) continue;
    reached.add(id);
    for (const parent of arrayAt(commit, 'parents')) {
      const parentId = stringAt(parent, 'id');
      if (parentId !== undefined) pending.push(parentId);
    }
  }
  // Bitbucket lists the most recent first; keep its order, reversed.
  return [...byId.entries()]
    .filter(([id]) => reached.has(id))
    .map(([id, commit]) => ({
      sha: id,
      message: textAt(commit, 'message'),
      author: stringAt(commit, 'author', 'name') ?? '',
    }))
    .reverse();
}
