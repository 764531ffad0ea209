// Gitea `status` events: a commit status set through the API or by Gitea Actions (recent Gitea).

import type { NormalizedEventKind } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import {
  lookup,
  positiveIntegerAt,
  stringAt,
  valueAt,
  withoutUndefined,
} from '../payload-fields.js';
import { giteaEventBase, giteaTime, NO_REPOSITORY } from './gitea-event-base.js';

const KIND_BY_STATE: Readonly<Record<string, NormalizedEventKind>> = {
  pending: 'pipeline.started',
  success: 'pipeline.succeeded',
  failure: 'pipeline.failed',
  error: 'pipeline.failed',
};

/**
 * By `state`: pending → pipeline.started; success → pipeline.succeeded; failure, error →
 * pipeline.failed; warning (and anything else) gives no verdict → ignored. One check on one
 * commit is one pipeline: pipeline.id is `<context>@<sha>`, its name the context, `sequence`
 * the status id (Gitea numbers each new status higher, so a late older one is recognised). The
 * payload names no branch: the stories are the ones the commit is linked to.
 */
export function normalizeGiteaStatus(payload: unknown): AdapterResult {
  const base = giteaEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const state = stringAt(payload, 'state');
  const sha = stringAt(payload, 'sha');
  const context = stringAt(payload, 'context');
  if (state === undefined || sha === undefined || context === undefined) {
    return ignored('status payload lacks state, sha or context');
  }
  const kind = lookup(KIND_BY_STATE, state);
  if (kind === undefined) return ignored(`status state "${state}" is not tracked`);
  const url = stringAt(payload, 'target_url');
  return emitted(
    withoutUndefined({
      kind,
      ...base,
      sha,
      pipeline: withoutUndefined({ id: `${context}@${sha}`, name: context, url, status: state }),
      url,
      occurredAt:
        giteaTime(valueAt(payload, 'updated_at')) ?? giteaTime(valueAt(payload, 'created_at')),
      sequence: positiveIntegerAt(payload, 'id'),
    }),
  );
}
