// Gitea/Forgejo `create` and `delete` events.

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { stringAt, withoutUndefined } from '../payload-fields.js';
import { giteaEventBase, NO_REPOSITORY, shortBranchName } from './gitea-event-base.js';

/**
 * `create` → branch.created (sha = the payload's `sha`, the commit the branch points at),
 * `delete` → branch.deleted, for `ref_type: branch`; tags are ignored (a tag is tracked through
 * its release). `ref` is the short name from Gitea and from Forgejo's "Gitea" hooks, the full
 * `refs/heads/…` from Forgejo's "Forgejo" hooks: both give the same branch.
 */
export function normalizeGiteaRefEvent(
  event: 'create' | 'delete',
  payload: unknown,
): AdapterResult {
  const base = giteaEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const refType = stringAt(payload, 'ref_type');
  if (refType !== 'branch') return ignored(`${event} of a ${refType ?? 'unknown ref type'}`);
  const ref = stringAt(payload, 'ref');
  const branch = ref === undefined ? undefined : shortBranchName(ref);
  if (branch === undefined || branch === '') return ignored(`${event} payload has no ref`);
  return emitted(
    withoutUndefined({
      kind: event === 'create' ? 'branch.created' : 'branch.deleted',
      ...base,
      branch,
      sha: event === 'create' ? stringAt(payload, 'sha') : undefined,
    }),
  );
}
