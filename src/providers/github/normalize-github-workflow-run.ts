// GitHub `workflow_run` events (GitHub Actions).

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import {
  idAt,
  objectAt,
  positiveIntegerAt,
  stringAt,
  withoutUndefined,
} from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { githubConclusionKind } from './github-conclusion-kind.js';
import { githubEventBase, NO_REPOSITORY } from './github-event-base.js';

/**
 * requested / in_progress → pipeline.started (pipeline.status = the action); completed →
 * pipeline.succeeded or pipeline.failed by `conclusion` (see githubConclusionKind; pipeline.status
 * = the conclusion), a completed run without a verdict is ignored. `branch`/`sha` are the run's
 * head_branch/head_sha; the pipeline name falls back to workflow.name when the run's is empty;
 * `sequence` is run_attempt.
 */
export function normalizeGithubWorkflowRun(payload: unknown): AdapterResult {
  const base = githubEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const run = objectAt(payload, 'workflow_run');
  const id = idAt(run, 'id');
  if (!run || id === undefined) return ignored('workflow_run payload has no workflow_run.id');
  const action = stringAt(payload, 'action') ?? 'unknown';

  let kind: 'pipeline.started' | 'pipeline.succeeded' | 'pipeline.failed' | undefined;
  let status: string;
  let time: unknown;
  if (action === 'requested' || action === 'in_progress') {
    kind = 'pipeline.started';
    status = action;
    time = run.run_started_at ?? run.created_at;
  } else if (action === 'completed') {
    const conclusion = stringAt(run, 'conclusion');
    kind = githubConclusionKind(conclusion);
    if (kind === undefined) {
      return ignored(`workflow_run completed with conclusion "${conclusion ?? 'none'}"`);
    }
    status = conclusion ?? 'unknown';
    time = run.updated_at;
  } else {
    return ignored(`workflow_run action "${action}" is not tracked`);
  }

  return emitted(
    withoutUndefined({
      kind,
      ...base,
      branch: stringAt(run, 'head_branch'),
      sha: stringAt(run, 'head_sha'),
      pipeline: withoutUndefined({
        id,
        name: stringAt(run, 'name') ?? stringAt(payload, 'workflow', 'name'),
        url: stringAt(run, 'html_url'),
        status,
      }),
      url: stringAt(run, 'html_url'),
      occurredAt: toIsoTimestamp(time) ?? toIsoTimestamp(run.updated_at),
      // A re-run keeps the run id and counts up run_attempt: attempt 1's facts are older.
      sequence: positiveIntegerAt(run, 'run_attempt'),
    }),
  );
}
