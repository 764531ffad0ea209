// GitHub `release` events.

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { objectAt, stringAt, withoutUndefined } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { githubEventBase, NO_REPOSITORY } from './github-event-base.js';

/**
 * published → release.published (pre-releases included: GitHub sends `published` for both);
 * created, edited, released, prereleased, deleted, … are ignored so one release gives one event.
 * `tag` is release.tag_name; the release name falls back to the tag.
 */
export function normalizeGithubRelease(payload: unknown): AdapterResult {
  const base = githubEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const action = stringAt(payload, 'action') ?? 'unknown';
  if (action !== 'published') return ignored(`release action "${action}" is not tracked`);
  const release = objectAt(payload, 'release');
  const tag = stringAt(release, 'tag_name');
  if (!release || tag === undefined) return ignored('release payload has no release.tag_name');
  const url = stringAt(release, 'html_url');
  return emitted(
    withoutUndefined({
      kind: 'release.published',
      ...base,
      tag,
      release: withoutUndefined({ tag, name: stringAt(release, 'name') ?? tag, url }),
      url,
      occurredAt: toIsoTimestamp(release.published_at) ?? toIsoTimestamp(release.created_at),
    }),
  );
}
