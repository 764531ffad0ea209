// Gitea/Forgejo `release` events.

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { objectAt, stringAt, withoutUndefined } from '../payload-fields.js';
import { giteaEventBase, giteaTime, NO_REPOSITORY } from './gitea-event-base.js';

/**
 * published → release.published; updated and deleted (Gitea's other release actions) are
 * ignored, as is a release still marked draft. `tag` is release.tag_name; the name falls back to
 * the tag.
 */
export function normalizeGiteaRelease(payload: unknown): AdapterResult {
  const base = giteaEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const action = stringAt(payload, 'action') ?? 'unknown';
  if (action !== 'published') return ignored(`release action "${action}" is not tracked`);
  const release = objectAt(payload, 'release');
  const tag = stringAt(release, 'tag_name');
  if (!release || tag === undefined) return ignored('release payload has no release.tag_name');
  if (release.draft === true) return ignored('release is a draft');
  const url = stringAt(release, 'html_url');
  return emitted(
    withoutUndefined({
      kind: 'release.published',
      ...base,
      tag,
      release: withoutUndefined({ tag, name: stringAt(release, 'name') ?? tag, url }),
      url,
      occurredAt: giteaTime(release.published_at) ?? giteaTime(release.created_at),
    }),
  );
}
