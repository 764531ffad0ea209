// TypeBox schemas of the stories API: they validate requests, type handlers, and produce
// the OpenAPI document.
import { Type } from '@sinclair/typebox';
import { STORY_ID_SOURCE } from '../../domain/story/validate-story-fields.js';

const STORY_ID = `^${STORY_ID_SOURCE}$`;

export const StoryIdParams = Type.Object({
  id: Type.String({ pattern: STORY_ID, description: 'Story id, e.g. INT-003' }),
});

export const StorySchema = Type.Object(
  {
    id: Type.String({ pattern: STORY_ID }),
    title: Type.String(),
    status: Type.String(),
    body: Type.String({ description: 'The markdown body after the frontmatter' }),
    version: Type.Integer({
      minimum: 1,
      description: 'Incremented by every change; also the ETag',
    }),
  },
  {
    $id: 'Story',
    additionalProperties: true,
    description:
      'A story: its frontmatter fields at the top level (known and unknown ones) plus body and version.',
  },
);

const FieldValues = { additionalProperties: true } as const;

export const CreateStoryBody = Type.Object(
  {
    id: Type.String({ pattern: STORY_ID }),
    title: Type.String({ minLength: 1 }),
    status: Type.Optional(Type.String({ minLength: 1 })),
    body: Type.Optional(Type.String()),
  },
  { ...FieldValues, description: 'Frontmatter fields plus an optional markdown body' },
);

export const PatchStoryBody = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1 })),
    status: Type.Optional(Type.String({ minLength: 1 })),
    body: Type.Optional(Type.String()),
    version: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Expected current version, like If-Match' }),
    ),
  },
  {
    ...FieldValues,
    description:
      'Fields to change (null sets a field to null). Only the lines of changed fields are rewritten.',
  },
);

export const TransitionBody = Type.Object(
  {
    to: Type.String({ minLength: 1, description: 'Target status' }),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const ListStoriesQuery = Type.Object(
  {
    status: Type.Optional(Type.String()),
    epic: Type.Optional(Type.String()),
    label: Type.Optional(Type.String()),
    q: Type.Optional(
      Type.String({ description: 'Case-insensitive text in the id, title or document' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ description: 'nextCursor from the previous page' })),
  },
  { additionalProperties: false },
);

export const StoryListSchema = Type.Object({
  items: Type.Array(Type.Ref(StorySchema)),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const ImportJsonBody = Type.Object(
  {
    documents: Type.Array(Type.String(), { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false },
);

export const ImportResultSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      action: Type.Union([
        Type.Literal('created'),
        Type.Literal('updated'),
        Type.Literal('unchanged'),
      ]),
      created: Type.Boolean({ description: 'true when the import created the story' }),
      version: Type.Integer(),
    }),
  ),
});
