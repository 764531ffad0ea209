// Gitea `workflow_run` events (Gitea Actions, recent Gitea; the payload follows GitHub's).

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import {
  idAt,
  objectAt,
  positiveIntegerAt,
  stringAt,
  withoutUndefined,
} from '../payload-fields.js';
import { giteaEventBase, giteaTime, NO_REPOSITORY } from './gitea-event-base.js';
import { giteaVerdict } from './gitea-verdict.js';

/**
 * requested / in_progress → pipeline.started (pipeline.status = the action); completed →
 * pipeline.succeeded or pipeline.failed by workflow_run.conclusion (see giteaVerdict; a run
 * without a verdict is ignored). `branch`/`sha` are head_branch/head_sha; the pipeline's name is
 * workflow.name, else the run's display_title; `sequence` is run_attempt.
 */
export function normalizeGiteaWorkflowRun(payload: unknown): AdapterResult {
  const base = giteaEventBase(payload);
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
    time = run.started_at;
  } else if (action === 'completed') {
    const conclusion = stringAt(run, 'conclusion');
    kind = giteaVerdict(conclusion);
    if (kind === undefined) {
      return ignored(`workflow_run completed with conclusion "${conclusion ?? 'none'}"`);
    }
    status = conclusion ?? 'unknown';
    time = run.completed_at;
  } else {
    return ignored(`workflow_run action "${action}" is not tracked`);
  }

  const url = stringAt(run, 'html_url');
  return emitted(
    withoutUndefined({
      kind,
      ...base,
      branch: stringAt(run, 'head_branch'),
      sha: stringAt(run, 'head_sha'),
      pipeline: withoutUndefined({
        id,
        name: stringAt(payload, 'workflow', 'name') ?? stringAt(run, 'display_title'),
        url,
        status,
      }),
      url,
      occurredAt: giteaTime(time) ?? giteaTime(run.started_at),
      sequence: positiveIntegerAt(run, 'run_attempt'),
    }),
  );
}
