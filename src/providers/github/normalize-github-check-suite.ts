// GitHub `check_suite` events (checks from GitHub Apps other than Actions).

import { type AdapterResult, emitted, ignored } from '../adapter-result.js';
import { idAt, objectAt, stringAt, withoutUndefined } from '../payload-fields.js';
import { toIsoTimestamp } from '../to-iso-timestamp.js';
import { githubConclusionKind } from './github-conclusion-kind.js';
import { githubEventBase, NO_REPOSITORY } from './github-event-base.js';

/**
 * requested / rerequested → pipeline.started (pipeline.status = the action); completed →
 * pipeline.succeeded or pipeline.failed by `conclusion` (see githubConclusionKind), no verdict →
 * ignored. Suites of the GitHub Actions app (app.slug `github-actions`) are ignored: every
 * Actions workflow run has a check suite, and `workflow_run` already reports it with a name and
 * a web page. The pipeline is named after the app; check suites have no web page of their own.
 */
export function normalizeGithubCheckSuite(payload: unknown): AdapterResult {
  const base = githubEventBase(payload);
  if (!base) return ignored(NO_REPOSITORY);
  const suite = objectAt(payload, 'check_suite');
  const id = idAt(suite, 'id');
  if (!suite || id === undefined) return ignored('check_suite payload has no check_suite.id');
  if (stringAt(suite, 'app', 'slug') === 'github-actions') {
    return ignored('check_suite of GitHub Actions is reported by workflow_run');
  }
  const action = stringAt(payload, 'action') ?? 'unknown';

  let kind: 'pipeline.started' | 'pipeline.succeeded' | 'pipeline.failed' | undefined;
  let status: string;
  if (action === 'requested' || action === 'rerequested') {
    kind = 'pipeline.started';
    status = action;
  } else if (action === 'completed') {
    const conclusion = stringAt(suite, 'conclusion');
    kind = githubConclusionKind(conclusion);
    if (kind === undefined) {
      return ignored(`check_suite completed with conclusion "${conclusion ?? 'none'}"`);
    }
    status = conclusion ?? 'unknown';
  } else {
    return ignored(`check_suite action "${action}" is not tracked`);
  }

  return emitted(
    withoutUndefined({
      kind,
      ...base,
      branch: stringAt(suite, 'head_branch'),
      sha: stringAt(suite, 'head_sha'),
      pipeline: withoutUndefined({ id, name: stringAt(suite, 'app', 'name'), status }),
      occurredAt: toIsoTimestamp(suite.updated_at) ?? toIsoTimestamp(suite.created_at),
    }),
  );
}
