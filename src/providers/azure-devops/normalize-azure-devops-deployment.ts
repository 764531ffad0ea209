// Azure DevOps release deployments: `ms.vss-release.deployment-started-event` and
// `ms.vss-release.deployment-completed-event`.

import type { NormalizedEventKind } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { idAt, lookup, objectAt, stringAt, withoutUndefined } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import {
  artifactReference,
  branchOfRef,
  deploymentRepositoryPath,
  primaryArtifact,
} from './azure-devops-event-base.js';

/**
 * A completed deployment's environment status (the "releaseEnvironmentStatus" filter: Succeeded,
 * Partially Succeeded, Rejected, Canceled). Only succeeded reached the environment whole; the
 * others are deployment.failed (deployment.status keeps the word).
 */
const KIND_BY_STATUS: Readonly<Record<string, NormalizedEventKind>> = {
  succeeded: 'deployment.succeeded',
  partiallySucceeded: 'deployment.failed',
  rejected: 'deployment.failed',
  canceled: 'deployment.failed',
};

/**
 * deployment-started → deployment.started; deployment-completed → by
 * `resource.environment.status` (see KIND_BY_STATUS). `environment` is the stage's name
 * (environment.name), deployment.id the release environment's id. What was deployed is the
 * release's primary artifact: its source repository (definitionReference.repository.name, in
 * the project definitionReference.project.name or resource.project.name), commit
 * (sourceVersion.id) and branch (branch.id). A deployment whose release names no repository (the
 * documented sample, a non-git artifact) is ignored: no story can be found from it.
 */
export function normalizeAzureDevopsDeployment(event: string, payload: unknown): AdapterResult {
  const resource = objectAt(payload, 'resource');
  const repository = deploymentRepositoryPath(resource);
  if (repository === undefined) {
    return ignored(
      'deployment names no repository (the primary artifact’s definitionReference.repository.name)',
    );
  }
  const environment = objectAt(resource, 'environment');
  const id = idAt(environment, 'id');
  const name = stringAt(environment, 'name');
  const status = stringAt(environment, 'status');
  if (id === undefined || name === undefined || status === undefined) {
    return ignored('deployment payload lacks environment.id, .name or .status');
  }
  const kind: NormalizedEventKind | undefined = event.endsWith('deployment-started-event')
    ? 'deployment.started'
    : lookup(KIND_BY_STATUS, status);
  if (kind === undefined) return ignored(`deployment status "${status}" is not tracked`);
  const artifact = primaryArtifact(resource);
  return emitted(
    withoutUndefined({
      kind,
      provider: 'azure-devops',
      repository,
      repositoryId: artifactReference(artifact, 'repository', 'id'),
      branch: branchOfRef(artifactReference(artifact, 'branch', 'id')),
      sha: artifactReference(artifact, 'sourceVersion', 'id'),
      environment: name,
      deployment: { id, status },
      url: stringAt(environment, 'release', '_links', 'web', 'href'),
      occurredAt:
        toIsoTimestamp(stringAt(environment, 'modifiedOn')) ??
        toIsoTimestamp(stringAt(payload, 'createdDate')),
    }),
  );
}
