// Forgejo's `action_run_failure`, `action_run_recover` and `action_run_success` events (Forgejo
// Actions: a run finished).

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { idAt, objectAt, stringAt, withoutUndefined } from '../payload-fields.js';
import { giteaEventBase, giteaTime } from './gitea-event-base.js';

const KIND_BY_EVENT = {
  action_run_failure: 'pipeline.failed',
  action_run_recover: 'pipeline.succeeded',
  action_run_success: 'pipeline.succeeded',
} as const;

export type ForgejoActionRunEvent = keyof typeof KIND_BY_EVENT;

export function isForgejoActionRunEvent(event: string): event is ForgejoActionRunEvent {
  return Object.hasOwn(KIND_BY_EVENT, event);
}

/**
 * action_run_failure → pipeline.failed; action_run_success and action_run_recover (a success
 * after a failure) → pipeline.succeeded. The payload is `{action, run, prior_status}`: the
 * repository is run.repository, the actor run.trigger_user.login, the commit run.commit_sha.
 * `branch` is run.prettyref unless it names a pull request (`#12`); pipeline.status is
 * run.status, its name the workflow file (run.workflow_id), its id the run id.
 */
export function normalizeForgejoActionRun(
  event: ForgejoActionRunEvent,
  payload: unknown,
): AdapterResult {
  const run = objectAt(payload, 'run');
  const base = giteaEventBase(run, ['trigger_user', 'login']);
  if (!run || !base) return ignored('action run payload has no run.repository.full_name');
  const id = idAt(run, 'id');
  if (id === undefined) return ignored('action run payload has no run.id');
  const ref = stringAt(run, 'prettyref');
  const url = stringAt(run, 'html_url');
  return emitted(
    withoutUndefined({
      kind: KIND_BY_EVENT[event],
      ...base,
      branch: ref === undefined || ref.startsWith('#') ? undefined : ref,
      sha: stringAt(run, 'commit_sha'),
      pipeline: withoutUndefined({
        id,
        name: stringAt(run, 'workflow_id') ?? stringAt(run, 'title'),
        url,
        status: stringAt(run, 'status') ?? stringAt(payload, 'action') ?? event,
      }),
      url,
      occurredAt: giteaTime(run.stopped) ?? giteaTime(run.updated),
    }),
  );
}
