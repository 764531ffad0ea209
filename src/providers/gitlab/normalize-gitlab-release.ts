// GitLab Release Hook.

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { stringAt, withoutUndefined } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { gitlabEventBase, NO_PROJECT } from './gitlab-event-base.js';

/**
 * action create → release.published (also for releases whose released_at lies in the future:
 * the release exists from now on); update and delete are ignored. `sha` is commit.id,
 * occurredAt the release's created_at. Release hooks name no user, so `actor` is absent.
 */
export function normalizeGitlabRelease(payload: unknown): AdapterResult {
  const base = gitlabEventBase(payload);
  if (!base) return ignored(NO_PROJECT);
  const action = stringAt(payload, 'action') ?? 'unknown';
  if (action !== 'create') return ignored(`release action "${action}" is not tracked`);
  const tag = stringAt(payload, 'tag');
  if (tag === undefined) return ignored('release payload has no tag');
  const url = stringAt(payload, 'url');
  return emitted(
    withoutUndefined({
      kind: 'release.published',
      ...base,
      tag,
      sha: stringAt(payload, 'commit', 'id'),
      release: withoutUndefined({ tag, name: stringAt(payload, 'name') ?? tag, url }),
      url,
      occurredAt:
        toIsoTimestamp(stringAt(payload, 'created_at')) ??
        toIsoTimestamp(stringAt(payload, 'released_at')),
    }),
  );
}
