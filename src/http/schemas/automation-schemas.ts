import { Type } from '@sinclair/typebox';
import { webhookProviders } from '../../providers/index.js';

const JsonValue = Type.Unknown();

export const FieldChangeSchema = Type.Object({
  story: Type.String(),
  field: Type.String({ description: '(story) for a whole story created or deleted' }),
  before: JsonValue,
  after: JsonValue,
});

export const OperationSchema = Type.Object(
  {
    id: Type.Union([Type.String(), Type.Null()], { description: 'null in a simulation' }),
    status: Type.Union([
      Type.Literal('applied'),
      Type.Literal('rolled_back'),
      Type.Literal('simulated'),
    ]),
    trigger: Type.Object({
      kind: Type.String({ description: 'The event kind, or rollback' }),
      delivery: Type.Optional(Type.String()),
      rule: Type.Optional(Type.String({ description: 'The rules that changed something' })),
      operation: Type.Optional(
        Type.String({ description: 'For a rollback: the operation undone' }),
      ),
    }),
    changes: Type.Array(FieldChangeSchema),
    steps: Type.Array(
      Type.Object({
        story: Type.String(),
        rule: Type.String(),
        action: Type.String(),
        because: Type.String({ description: 'The reference that named the story' }),
        skipped: Type.Optional(Type.String({ description: 'Why the action changed nothing' })),
      }),
      { description: 'Every rule that matched, what it did or why it did nothing' },
    ),
    comments: Type.Array(
      Type.Object({ story: Type.String(), text: Type.String(), rule: Type.String() }),
    ),
    repository: Type.Union([Type.String(), Type.Null()]),
    environment: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    rolledBackAt: Type.Union([Type.String(), Type.Null()]),
    rolledBackBy: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Operation' },
);

export const LinkSchema = Type.Object({
  type: Type.String({ description: 'branch, commit, pr, pipeline or deployment' }),
  repository: Type.String(),
  key: Type.String({
    description: 'Branch name, commit sha, PR number, branch of a pipeline, environment',
  }),
  state: Type.Union([Type.String(), Type.Null()]),
  url: Type.Union([Type.String(), Type.Null()]),
  title: Type.Union([Type.String(), Type.Null()]),
  sha: Type.Union([Type.String(), Type.Null()]),
  environment: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const SimulateBody = Type.Union([
  Type.Object(
    {
      // The providers of the table (src/providers/index.ts).
      provider: Type.Union(webhookProviders.map((provider) => Type.Literal(provider.name))),
      event: Type.String({
        minLength: 1,
        description: "The provider's event name (X-GitHub-Event, X-Gitlab-Event)",
      }),
      payload: Type.Unknown(),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { events: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 100 }) },
    { additionalProperties: false },
  ),
]);
