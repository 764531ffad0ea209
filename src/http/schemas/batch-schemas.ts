// TypeBox schemas of POST /api/v1/batch. The route validates the envelope with Ajv; each
// operation is then checked against the schema of its `op` (compiled once), so an error names
// the operation and field precisely (`operations[3].to`) instead of listing every union branch.
import { type TSchema, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { STORY_ID_SOURCE } from '../../domain/story/validate-story-fields.js';
import type { ProblemFieldError } from '../../errors/problem-error.js';
import type { BatchOperation } from '../../services/batch-service.js';
import { LinkSchema } from './automation-schemas.js';
import { NewLink } from './link-schemas.js';
import { ProblemSchema } from './problem-schema.js';
import { CreateStoryBody, PatchStoryBody, StorySchema } from './story-schemas.js';

/** DESIGN §6: a batch holds up to 1,000 operations. */
export const MAX_BATCH_OPERATIONS = 1000;

const STORY_ID = `^${STORY_ID_SOURCE}$`;
const StoryId = Type.String({ pattern: STORY_ID, description: 'Story id, e.g. INT-003' });
const ExpectedVersion = Type.Integer({
  minimum: 1,
  description: 'Expected current version (like If-Match): another one fails with 412',
});
const closed = { additionalProperties: false } as const;

export const CreateOperation = Type.Object(
  { op: Type.Literal('create'), story: CreateStoryBody },
  { ...closed, description: 'Creates a story from its JSON form (201)' },
);

export const UpdateOperation = Type.Object(
  {
    op: Type.Literal('update'),
    id: StoryId,
    changes: PatchStoryBody,
    version: Type.Optional(ExpectedVersion),
  },
  { ...closed, description: 'Changes fields and/or the body of a story (200)' },
);

export const TransitionOperation = Type.Object(
  {
    op: Type.Literal('transition'),
    id: StoryId,
    to: Type.String({ minLength: 1, description: 'Target status' }),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    version: Type.Optional(ExpectedVersion),
  },
  { ...closed, description: 'Moves a story along the workflow (200)' },
);

/** The link schema of POST /stories/{id}/links: both doors accept the same links. */
export const LinkBody = NewLink;

export const LinkOperation = Type.Object(
  { op: Type.Literal('link'), id: StoryId, link: LinkBody },
  {
    ...closed,
    description:
      'Links a branch, commit, PR, pipeline or deployment to a story (201 new, 200 updated)',
  },
);

export const DeleteOperation = Type.Object(
  { op: Type.Literal('delete'), id: StoryId, version: Type.Optional(ExpectedVersion) },
  { ...closed, description: 'Deletes a story (204)' },
);

export const ImportOperation = Type.Object(
  { op: Type.Literal('import'), document: Type.String({ minLength: 1 }) },
  {
    ...closed,
    description: 'Imports one story document: created (201), updated or unchanged (200)',
  },
);

const OPERATION_SCHEMAS = {
  create: CreateOperation,
  update: UpdateOperation,
  transition: TransitionOperation,
  link: LinkOperation,
  delete: DeleteOperation,
  import: ImportOperation,
} as const satisfies Record<BatchOperation['op'], TSchema>;

export const BATCH_OPERATION_KINDS = Object.keys(OPERATION_SCHEMAS) as BatchOperation['op'][];

export const BatchBody = Type.Object(
  {
    atomic: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'true (default): one transaction, all or nothing. false: each operation on its own; ' +
          'the answer gives each one its status or problem.',
      }),
    ),
    operations: Type.Array(
      Type.Object(
        {
          op: Type.String({ description: BATCH_OPERATION_KINDS.join(' | ') }),
        },
        {
          additionalProperties: true,
          description:
            '{"op": "create", "story": {…}} | {"op": "update", "id", "changes": {…}, "version"?} | ' +
            '{"op": "transition", "id", "to", "reason"?, "version"?} | {"op": "link", "id", ' +
            '"link": {type, repository, key, state?, url?, title?, sha?, environment?}} | ' +
            '{"op": "delete", "id", "version"?} | {"op": "import", "document": "…"}',
        },
      ),
      { description: `At most ${MAX_BATCH_OPERATIONS} operations (413 past it)` },
    ),
  },
  closed,
);

/** A link a batch operation made: the story's id, then the link as GET …/links shows it. */
const BatchLinkSchema = Type.Composite([Type.Object({ story: Type.String() }), LinkSchema]);

export const BatchAnswerSchema = Type.Object({
  batch: Type.String({ description: 'The batch id every audit entry of this batch carries' }),
  atomic: Type.Boolean(),
  results: Type.Array(
    Type.Object({
      status: Type.Integer({ description: 'The HTTP status this operation alone would answer' }),
      story: Type.Optional(Type.Ref(StorySchema)),
      id: Type.Optional(Type.String({ description: 'delete: the deleted story' })),
      action: Type.Optional(
        Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')]),
      ),
      link: Type.Optional(BatchLinkSchema),
      problem: Type.Optional(Type.Ref(ProblemSchema)),
    }),
    { description: 'One result per operation, in request order' },
  ),
});

const compiled = new Map<string, TypeCheck<TSchema>>(
  Object.entries(OPERATION_SCHEMAS).map(([op, schema]) => [op, TypeCompiler.Compile(schema)]),
);

/**
 * Checks every operation against the schema of its `op`. Answers the operations (undefined where
 * one does not fit its schema) and every problem found, each naming its operation and field
 * (`operations[3].to`).
 */
export function checkBatchOperations(operations: readonly { op: string }[]): {
  operations: (BatchOperation | undefined)[];
  errors: ProblemFieldError[];
} {
  const errors: ProblemFieldError[] = [];
  const checked = operations.map((operation, index): BatchOperation | undefined => {
    const where = `operations[${index}]`;
    const checker = compiled.get(operation.op);
    if (checker === undefined) {
      errors.push({
        field: `${where}.op`,
        message: `unknown operation ${JSON.stringify(operation.op)}; expected one of ${BATCH_OPERATION_KINDS.join(', ')}`,
      });
      return undefined;
    }
    if (checker.Check(operation)) return operation as BatchOperation;
    const seen = new Set<string>();
    for (const error of checker.Errors(operation)) {
      const path = error.path.replace(/^\//, '').split('/').filter(Boolean).join('.');
      const field = path === '' ? where : `${where}.${path}`;
      if (seen.has(field)) continue; // the first complaint per field is the useful one
      seen.add(field);
      errors.push({ field, message: messageOf(error.message) });
    }
    return undefined;
  });
  return { operations: checked, errors };
}

function messageOf(message: string): string {
  if (message === 'Unexpected property') return 'is not a known property';
  if (message === 'Expected required property') return 'is required';
  return message.charAt(0).toLowerCase() + message.slice(1);
}
