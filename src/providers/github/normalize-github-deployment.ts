// GitHub `deployment` events.

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { idAt, objectAt, stringAt, withoutUndefined } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { githubEventBase, NO_REPOSITORY } from './github-event-base.js';

/**
 * created → deployment.started (deployment.status `created`); other actions are ignored.
 * `branch` is deployment.ref as given (GitHub allows a branch, tag or SHA there), `sha` is
 * deployment.sha.
 */
export function normalizeGithubDeployment(payload: unknown): AdapterResult {
  const base = githubEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const action = stringAt(payload, 'action') ?? 'unknown';
  if (action !== 'created') return ignored(`deployment action "${action}" is not tracked`);
  const deployment = objectAt(payload, 'deployment');
  const id = idAt(deployment, 'id');
  if (!deployment || id === undefined) return ignored('deployment payload has no deployment.id');
  return emitted(
    withoutUndefined({
      kind: 'deployment.started',
      ...base,
      branch: stringAt(deployment, 'ref'),
      sha: stringAt(deployment, 'sha'),
      environment: stringAt(deployment, 'environment'),
      deployment: { id, status: 'created' },
      occurredAt: toIsoTimestamp(deployment.created_at),
    }),
  );
}
