// GitLab Pipeline Hook.

import type { NormalizedEventKind } from '../../domain/events/normalized-event.js';
import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import {
  booleanAt,
  idAt,
  lookup,
  objectAt,
  stringAt,
  withoutUndefined,
} from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { gitlabEventBase, NO_PROJECT } from './gitlab-event-base.js';

const KIND_BY_STATUS: Readonly<Record<string, NormalizedEventKind>> = {
  pending: 'pipeline.started',
  running: 'pipeline.started',
  success: 'pipeline.succeeded',
  failed: 'pipeline.failed',
  canceled: 'pipeline.failed',
};

/**
 * By object_attributes.status: pending, running → pipeline.started; success →
 * pipeline.succeeded; failed, canceled → pipeline.failed (as on GitHub, a canceled pipeline did
 * not show the commit is good; pipeline.status keeps `canceled`); created,
 * waiting_for_resource, preparing, scheduled, manual, skipped, canceling → ignored (not started
 * yet, or no verdict). A pipeline for a tag (`tag: true`) sets `tag` instead of `branch`; a
 * merge request pipeline on refs/merge-requests/… uses the MR's source branch.
 */
export function normalizeGitlabPipeline(payload: unknown): AdapterResult {
  const base = gitlabEventBase(payload);
  if (!base) return ignored(NO_PROJECT);
  const attributes = objectAt(payload, 'object_attributes');
  const id = idAt(attributes, 'id');
  const status = stringAt(attributes, 'status');
  if (!attributes || id === undefined || status === undefined) {
    return ignored('pipeline payload lacks object_attributes.id or .status');
  }
  const kind = lookup(KIND_BY_STATUS, status);
  if (kind === undefined) return ignored(`pipeline status "${status}" is not tracked`);

  const ref = pipelineRef(payload);
  const isTag = booleanAt(attributes, 'tag') === true;
  const url = stringAt(attributes, 'url');
  return emitted(
    withoutUndefined({
      kind,
      ...base,
      branch: isTag ? undefined : ref,
      tag: isTag ? ref : undefined,
      sha: stringAt(attributes, 'sha'),
      pipeline: withoutUndefined({ id, name: stringAt(attributes, 'name'), url, status }),
      url,
      occurredAt: toIsoTimestamp(attributes.finished_at) ?? toIsoTimestamp(attributes.created_at),
    }),
  );
}

function pipelineRef(payload: unknown): string | undefined {
  const ref = stringAt(payload, 'object_attributes', 'ref');
  if (ref?.startsWith('refs/merge-requests/')) {
    return stringAt(payload, 'merge_request', 'source_branch');
  }
  return ref?.replace(/^refs\/(heads|tags)\//, '') || undefined;
}
