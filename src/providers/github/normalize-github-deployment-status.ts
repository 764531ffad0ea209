// GitHub `deployment_status` events.

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import {
  idAt,
  lookup,
  objectAt,
  positiveIntegerAt,
  stringAt,
  withoutUndefined,
} from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { githubEventBase, NO_REPOSITORY } from './github-event-base.js';

type DeploymentKind = 'deployment.started' | 'deployment.succeeded' | 'deployment.failed';

const KIND_BY_STATE: Readonly<Record<string, DeploymentKind>> = {
  pending: 'deployment.started',
  queued: 'deployment.started',
  in_progress: 'deployment.started',
  success: 'deployment.succeeded',
  failure: 'deployment.failed',
  error: 'deployment.failed',
};

/**
 * By deployment_status.state: pending, queued, in_progress → deployment.started; success →
 * deployment.succeeded; failure, error → deployment.failed. `inactive` is ignored: GitHub sets
 * it on an older deployment when a newer one to the same environment succeeds, so it says
 * "superseded", not "rolled back". `url` is the status' log/target URL,
 * deployment.environmentUrl its environment_url, `sequence` the status id.
 */
export function normalizeGithubDeploymentStatus(payload: unknown): AdapterResult {
  const base = githubEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const status = objectAt(payload, 'deployment_status');
  const deployment = objectAt(payload, 'deployment');
  const state = stringAt(status, 'state');
  const id = idAt(deployment, 'id');
  if (!status || state === undefined) {
    return ignored('deployment_status payload has no deployment_status.state');
  }
  if (!deployment || id === undefined) {
    return ignored('deployment_status payload has no deployment.id');
  }
  const kind = lookup(KIND_BY_STATE, state);
  if (kind === undefined) return ignored(`deployment_status state "${state}" is not tracked`);
  return emitted(
    withoutUndefined({
      kind,
      ...base,
      branch: stringAt(deployment, 'ref'),
      sha: stringAt(deployment, 'sha'),
      environment: stringAt(status, 'environment') ?? stringAt(deployment, 'environment'),
      deployment: withoutUndefined({
        id,
        status: state,
        environmentUrl: stringAt(status, 'environment_url'),
      }),
      url: stringAt(status, 'log_url') ?? stringAt(status, 'target_url'),
      occurredAt: toIsoTimestamp(status.updated_at) ?? toIsoTimestamp(status.created_at),
      // Status ids grow with each status GitHub creates: a late, older status has a smaller one.
      sequence: positiveIntegerAt(status, 'id'),
    }),
  );
}
