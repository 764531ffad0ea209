// What every forge's pull request (merge request) normalizer builds at its end: the pull request
// read from the forge's own field names, and the event around it. Each forge decides its kind,
// sha and time; the shape of the event is decided here once.

import type {
  NormalizedEvent,
  NormalizedEventKind,
  NormalizedPullRequest,
} from '../domain/events/normalized-event.js';
import { type AdapterResult, emitted } from './adapter-result.js';
import { withoutUndefined } from './payload-fields.js';

/** A pull request as a forge's payload gave it; number, source and target are required. */
export interface PullRequestFields {
  number: number | undefined;
  source: string | undefined;
  target: string | undefined;
  title: string;
  body: string;
  url: string;
  draft: boolean;
}

/** The normalized pull request, or undefined when the payload lacks number, source or target. */
export function pullRequestFrom(fields: PullRequestFields): NormalizedPullRequest | undefined {
  const { number, source, target } = fields;
  if (number === undefined || source === undefined || target === undefined) return undefined;
  return { ...fields, number, source, target };
}

export interface PullRequestEventFields {
  kind: NormalizedEventKind;
  /** The forge's repository and actor fields (its `…EventBase`). */
  base: Pick<NormalizedEvent, 'provider' | 'repository'> & Partial<NormalizedEvent>;
  pr: NormalizedPullRequest;
  /** The head commit, or the merge commit for pr.merged. */
  sha: string | undefined;
  /** When given (even undefined), replaces the base's occurredAt. */
  occurredAt?: string | undefined;
  /** When given (even undefined), replaces the base's actor: a forge that names who closed it. */
  actor?: string | undefined;
}

/** The pull request event: `branch` is the source branch; `url` the pull request's page. */
export function pullRequestEvent(fields: PullRequestEventFields): AdapterResult {
  const { kind, base, pr, sha, occurredAt, actor } = fields;
  return emitted(
    withoutUndefined({
      kind,
      ...base,
      branch: pr.source,
      sha,
      pr,
      url: pr.url || undefined,
      ...('actor' in fields ? { actor } : {}),
      ...('occurredAt' in fields ? { occurredAt } : {}),
    }),
  );
}
