// Azure DevOps `build.complete` (Build completed): classic builds and YAML pipeline runs alike.

import type { NormalizedEventKind } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { idAt, lookup, objectAt, stringAt, withoutUndefined } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { branchOfRef, buildRepositoryPath } from './azure-devops-event-base.js';

/**
 * A completed build's result (resourceVersion 2.0: `result`; 1.0: `status`, whose values are the
 * "buildStatus" filter's: succeeded, partiallySucceeded, failed, stopped). A partially succeeded
 * build had a failing step that was allowed to continue: it did not show the commit is good, so
 * it counts as failed (pipeline.status keeps the word), as do canceled and stopped builds.
 */
const KIND_BY_RESULT: Readonly<Record<string, NormalizedEventKind>> = {
  succeeded: 'pipeline.succeeded',
  partiallySucceeded: 'pipeline.failed',
  failed: 'pipeline.failed',
  canceled: 'pipeline.failed',
  stopped: 'pipeline.failed',
};

const NO_BUILD_REPOSITORY =
  'build names no project and repository (resource.project.name, resource.repository.name)';

/** `LG:refs/heads/<branch>:<sha>`, the 1.0 payload's sourceGetVersion of a git build. */
const SOURCE_GET_VERSION = /^LG:(refs\/[^:]+):([0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * build.complete → pipeline.succeeded or pipeline.failed by its result (see KIND_BY_RESULT);
 * `branch` from sourceBranch (or 1.0's sourceGetVersion), none for a pull request's merge ref;
 * `sha` sourceVersion; pipeline id = build id, name = definition name, url = the build's web
 * page (_links.web.href). The repository is `<project>/<repository>`; a build that names none
 * (the 1.0 payload, a TFVC build) is ignored.
 */
export function normalizeAzureDevopsBuild(payload: unknown): AdapterResult {
  const resource = objectAt(payload, 'resource');
  const repository = buildRepositoryPath(resource);
  if (repository === undefined) return ignored(NO_BUILD_REPOSITORY);
  const id = idAt(resource, 'id');
  const status = stringAt(resource, 'result') ?? stringAt(resource, 'status');
  if (id === undefined || status === undefined) {
    return ignored('build payload lacks resource.id or its result');
  }
  const kind = lookup(KIND_BY_RESULT, status);
  if (kind === undefined) return ignored(`build result "${status}" is not tracked`);
  const legacy = SOURCE_GET_VERSION.exec(stringAt(resource, 'sourceGetVersion') ?? '');
  const url = stringAt(resource, '_links', 'web', 'href');
  return emitted(
    withoutUndefined({
      kind,
      provider: 'azure-devops',
      repository,
      repositoryId: stringAt(resource, 'repository', 'id'),
      branch: branchOfRef(stringAt(resource, 'sourceBranch') ?? legacy?.[1]),
      sha: stringAt(resource, 'sourceVersion') ?? legacy?.[2],
      pipeline: withoutUndefined({
        id,
        name: stringAt(resource, 'definition', 'name'),
        url,
        status,
      }),
      url,
      actor: stringAt(resource, 'requestedFor', 'uniqueName'),
      occurredAt:
        toIsoTimestamp(stringAt(resource, 'finishTime')) ??
        toIsoTimestamp(stringAt(payload, 'createdDate')),
    }),
  );
}
