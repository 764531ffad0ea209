import { Type } from '@sinclair/typebox';
import { NormalizedEventSchema } from '../../domain/events/normalized-event.js';
import { STORY_ID_SOURCE } from '../../domain/story/validate-story-fields.js';
import { DELIVERY_STATUSES } from '../../services/delivery-service.js';

export const DeliveryStatusSchema = Type.Union(
  DELIVERY_STATUSES.map((status) => Type.Literal(status)),
);

export const DeliverySchema = Type.Object(
  {
    id: Type.String(),
    provider: Type.String({
      description: 'github, gitlab, bitbucket, or ci (events posted in normalized form)',
    }),
    event: Type.String({
      description: "The provider's event name (X-GitHub-Event, X-Gitlab-Event)",
    }),
    deliveryId: Type.String({ description: "The provider's delivery id" }),
    repository: Type.Union([Type.String(), Type.Null()]),
    status: DeliveryStatusSchema,
    attempts: Type.Integer(),
    lastError: Type.Union([Type.String(), Type.Null()]),
    receivedAt: Type.String(),
    processedAt: Type.Union([Type.String(), Type.Null()]),
    nextAttemptAt: Type.String(),
    events: Type.Array(Type.Unknown(), { description: 'The normalized events it produced' }),
  },
  { $id: 'Delivery' },
);

export const DeliveryListQuery = Type.Object(
  {
    status: Type.Optional(DeliveryStatusSchema),
    provider: Type.Optional(Type.String()),
    repository: Type.Optional(Type.String()),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const DeploymentBody = Type.Object(
  {
    repository: Type.String({ pattern: '^[^/\\s]+(/[^/\\s]+)+$' }),
    environment: Type.String({ minLength: 1 }),
    status: Type.Union(
      [
        'started',
        'in_progress',
        'success',
        'succeeded',
        'failure',
        'failed',
        'error',
        'rolled_back',
      ].map((status) => Type.Literal(status)),
    ),
    sha: Type.Optional(Type.String({ minLength: 1 })),
    ref: Type.Optional(
      Type.String({ minLength: 1, description: 'branch, tag, refs/heads/… or refs/tags/…' }),
    ),
    stories: Type.Optional(Type.Array(Type.String({ pattern: `^${STORY_ID_SOURCE}$` }))),
    url: Type.Optional(Type.String()),
    repositoryId: Type.Optional(Type.String({ minLength: 1 })),
    provider: Type.Optional(Type.String({ minLength: 1 })),
    actor: Type.Optional(Type.String({ minLength: 1 })),
    // As in the normalized event: a report older than one applied to the same deployment
    // (same commit and environment) is recorded and skipped.
    occurredAt: NormalizedEventSchema.properties.occurredAt,
    sequence: NormalizedEventSchema.properties.sequence,
  },
  { additionalProperties: false },
);

export const CiAnswerSchema = Type.Object({
  delivery: Type.String(),
  duplicate: Type.Boolean(),
  status: DeliveryStatusSchema,
  operations: Type.Array(Type.Ref('Operation')),
});
