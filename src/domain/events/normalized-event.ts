// The one event model every provider is translated into (docs/events.md describes it).
// Adapters in src/providers/* produce it from GitHub and GitLab webhooks; generic CI systems
// post it directly, validated against NormalizedEventSchema.

import { type Static, Type } from '@sinclair/typebox';
import { STORY_ID_SOURCE } from '../story/validate-story-fields.js';

/** Every kind of normalized event, in lifecycle order. */
export const NORMALIZED_EVENT_KINDS = [
  'branch.created',
  'branch.deleted',
  'push',
  'pr.opened',
  'pr.updated',
  'pr.ready',
  'pr.merged',
  'pr.closed',
  'pipeline.started',
  'pipeline.succeeded',
  'pipeline.failed',
  'deployment.started',
  'deployment.succeeded',
  'deployment.failed',
  'deployment.rolled_back',
  'release.published',
] as const;

export type NormalizedEventKind = (typeof NORMALIZED_EVENT_KINDS)[number];

/** `owner/name` or `group/subgroup/project`: two or more non-empty segments, no whitespace. */
const REPOSITORY_PATH = '^[^/\\s]+(/[^/\\s]+)+$';
const ISO_TIMESTAMP =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$';
const NonEmpty = (description: string) => Type.String({ minLength: 1, description });

export const NormalizedCommitSchema = Type.Object({
  sha: NonEmpty('commit SHA'),
  message: Type.String({ description: 'full commit message' }),
  author: Type.String({ description: 'author name; empty when the payload does not say' }),
});

export const NormalizedPullRequestSchema = Type.Object({
  number: Type.Integer({ minimum: 1, description: 'PR number / GitLab MR iid' }),
  title: Type.String(),
  body: Type.String({ description: 'description; empty when there is none' }),
  source: NonEmpty('source (head) branch'),
  target: NonEmpty('target (base) branch'),
  url: Type.String({ description: 'web page of the pull/merge request' }),
  draft: Type.Boolean(),
});

export const NormalizedPipelineSchema = Type.Object({
  id: NonEmpty('provider id of the run (workflow run, check suite, GitLab pipeline)'),
  name: Type.Optional(Type.String()),
  url: Type.Optional(Type.String({ description: 'web page of the run' })),
  status: NonEmpty(
    "the provider's own status word, e.g. 'success', 'failure', 'cancelled', 'running'",
  ),
});

export const NormalizedDeploymentSchema = Type.Object({
  id: NonEmpty('provider id of the deployment'),
  status: NonEmpty("the provider's own status word, e.g. 'success', 'failure', 'canceled'"),
  environmentUrl: Type.Optional(Type.String({ description: 'URL of the deployed environment' })),
});

export const NormalizedReleaseSchema = Type.Object({
  tag: NonEmpty('tag the release points at'),
  name: Type.Optional(Type.String()),
  url: Type.Optional(Type.String({ description: 'web page of the release' })),
});

/**
 * A normalized event. `kind` and `repository` are always present; the rest is set when it
 * applies to the kind and the payload carries it (an absent field means "unknown", never a
 * made-up value). Nested objects are open so CI systems may add fields; the top level is closed.
 * `provider` is optional here because a generic CI endpoint may fill it in from its route;
 * adapters always set it (see NormalizedEvent).
 */
export const NormalizedEventSchema = Type.Object(
  {
    kind: Type.Union(
      NORMALIZED_EVENT_KINDS.map((kind) => Type.Literal(kind)),
      { description: 'what happened' },
    ),
    provider: Type.Optional(
      NonEmpty("'github', 'gitlab', or the name a generic CI system gives itself"),
    ),
    repository: Type.String({
      pattern: REPOSITORY_PATH,
      description: '`owner/name` (GitHub) or `group/subgroup/project` (GitLab path_with_namespace)',
    }),
    repositoryId: Type.Optional(
      NonEmpty('stable provider id of the repository/project, as a string'),
    ),
    branch: Type.Optional(NonEmpty('branch name without refs/heads/')),
    tag: Type.Optional(NonEmpty('tag name without refs/tags/')),
    sha: Type.Optional(NonEmpty('the commit the event is about')),
    commits: Type.Optional(Type.Array(NormalizedCommitSchema)),
    pr: Type.Optional(NormalizedPullRequestSchema),
    pipeline: Type.Optional(NormalizedPipelineSchema),
    deployment: Type.Optional(NormalizedDeploymentSchema),
    release: Type.Optional(NormalizedReleaseSchema),
    environment: Type.Optional(NonEmpty('deployment environment name')),
    url: Type.Optional(Type.String({ description: 'web page of what the event is about' })),
    actor: Type.Optional(NonEmpty('login/username of who caused the event')),
    occurredAt: Type.Optional(
      Type.String({
        pattern: ISO_TIMESTAMP,
        description: 'ISO 8601 time taken from the payload (never the receive time)',
      }),
    ),
    sequence: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description:
          "the provider's counter of changes to the deployment, pipeline or PR the event is about " +
          '(GitHub deployment_status.id, workflow_run.run_attempt); with occurredAt, it tells an ' +
          'older fact that arrives late from a newer one',
      }),
    ),
    defaultBranch: Type.Optional(NonEmpty("the repository's default branch")),
    stories: Type.Optional(
      Type.Array(Type.String({ pattern: `^${STORY_ID_SOURCE}$` }), {
        description: 'Story ids the sender names explicitly (a CI step that knows its story)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type NormalizedCommit = Static<typeof NormalizedCommitSchema>;
export type NormalizedPullRequest = Static<typeof NormalizedPullRequestSchema>;
export type NormalizedPipeline = Static<typeof NormalizedPipelineSchema>;
export type NormalizedDeployment = Static<typeof NormalizedDeploymentSchema>;
export type NormalizedRelease = Static<typeof NormalizedReleaseSchema>;
/** An event as a generic CI system posts it (what NormalizedEventSchema accepts). */
export type NormalizedEventInput = Static<typeof NormalizedEventSchema>;
/** A normalized event as the rest of storyflow sees it: the provider is always known. */
export type NormalizedEvent = Omit<NormalizedEventInput, 'provider'> & {
  provider: 'github' | 'gitlab' | (string & {});
};

/** Whether `value` is a repository path the schema accepts (`owner/name`, `group/sub/project`). */
export function isRepositoryPath(value: unknown): value is string {
  return typeof value === 'string' && new RegExp(REPOSITORY_PATH).test(value);
}

/** Whether `value` names a normalized event kind. */
export function isNormalizedEventKind(value: unknown): value is NormalizedEventKind {
  return (NORMALIZED_EVENT_KINDS as readonly unknown[]).includes(value);
}
