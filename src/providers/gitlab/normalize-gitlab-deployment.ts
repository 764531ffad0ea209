// GitLab Deployment Hook.

import type { NormalizedEventKind } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { idAt, lookup, stringAt, withoutUndefined } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { gitlabEventBase, NO_PROJECT } from './gitlab-event-base.js';

const KIND_BY_STATUS: Readonly<Record<string, NormalizedEventKind>> = {
  running: 'deployment.started',
  success: 'deployment.succeeded',
  failed: 'deployment.failed',
  canceled: 'deployment.failed',
};

const COMMIT_URL_SHA = /\/commit\/([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * By status: running → deployment.started; success → deployment.succeeded; failed, canceled →
 * deployment.failed (a canceled deployment did not reach the environment; deployment.status
 * keeps `canceled`); created, blocked and others → ignored. The hook has no full SHA field:
 * `sha` is read from the end of commit_url. `branch` is `ref` when the payload has one, `url`
 * the deployable (job) page, deployment.environmentUrl the environment's external URL.
 */
export function normalizeGitlabDeployment(payload: unknown): AdapterResult {
  const base = gitlabEventBase(payload);
  if (!base) return ignored(NO_PROJECT);
  const status = stringAt(payload, 'status');
  const id = idAt(payload, 'deployment_id');
  if (status === undefined || id === undefined) {
    return ignored('deployment payload lacks status or deployment_id');
  }
  const kind = lookup(KIND_BY_STATUS, status);
  if (kind === undefined) return ignored(`deployment status "${status}" is not tracked`);
  return emitted(
    withoutUndefined({
      kind,
      ...base,
      branch: stringAt(payload, 'ref'),
      sha: COMMIT_URL_SHA.exec(stringAt(payload, 'commit_url') ?? '')?.[1],
      environment: stringAt(payload, 'environment'),
      deployment: withoutUndefined({
        id,
        status,
        environmentUrl: stringAt(payload, 'environment_external_url'),
      }),
      url: stringAt(payload, 'deployable_url'),
      occurredAt: toIsoTimestamp(stringAt(payload, 'status_changed_at')),
    }),
  );
}
