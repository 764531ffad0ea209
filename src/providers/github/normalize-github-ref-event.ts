// GitHub `create` and `delete` events.

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { stringAt, withoutUndefined } from '../payload-fields.js';
import { githubEventBase, NO_REPOSITORY } from './github-event-base.js';

/**
 * `create` → branch.created, `delete` → branch.deleted, for `ref_type: branch`. Tags are
 * ignored (a tag is tracked through its release). The payloads carry no commit or time.
 */
export function normalizeGithubRefEvent(
  event: 'create' | 'delete',
  payload: unknown,
): AdapterResult {
  const base = githubEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const refType = stringAt(payload, 'ref_type');
  if (refType !== 'branch') return ignored(`${event} of a ${refType ?? 'unknown ref type'}`);
  const branch = stringAt(payload, 'ref');
  if (branch === undefined) return ignored(`${event} payload has no ref`);
  return emitted(
    withoutUndefined({
      kind: event === 'create' ? 'branch.created' : 'branch.deleted',
      ...base,
      branch,
    }),
  );
}
