// The one schema of a link a client asks for: POST /stories/{id}/links and the batch `link`
// operation validate against it, so both doors accept exactly the same links.
import { type Static, Type } from '@sinclair/typebox';
import {
  LINK_FIELD_LIMITS,
  type LinkInput,
  REPOSITORY_NAME_PATTERN,
} from '../../domain/links/link-input.js';
import { LINK_TYPES } from '../../domain/links/link-type.js';

const NullableText = (maxLength: number, description: string) =>
  Type.Optional(Type.Union([Type.String({ maxLength }), Type.Null()], { description }));

export const NewLink = Type.Object(
  {
    type: Type.Union(
      LINK_TYPES.map((type) => Type.Literal(type)),
      { description: LINK_TYPES.join(' | ') },
    ),
    repository: Type.String({
      pattern: REPOSITORY_NAME_PATTERN,
      maxLength: LINK_FIELD_LIMITS.repository,
      description:
        'owner/name or group/subgroup/project; a token limited to repositories may only name one of them',
    }),
    key: Type.String({
      minLength: 1,
      maxLength: LINK_FIELD_LIMITS.key,
      description: 'Branch name, commit sha, PR number, branch of a pipeline, environment',
    }),
    state: NullableText(LINK_FIELD_LIMITS.state, 'open, merged, success, failed, …'),
    url: NullableText(LINK_FIELD_LIMITS.url, 'web page'),
    title: NullableText(LINK_FIELD_LIMITS.title, 'PR title, commit subject, pipeline name'),
    sha: NullableText(LINK_FIELD_LIMITS.sha, 'commit'),
    environment: NullableText(LINK_FIELD_LIMITS.environment, 'deployment environment'),
  },
  { additionalProperties: false },
);

/** What the schema accepts is what the link service takes (a compile-time check). */
type Accepted<T extends LinkInput> = T;
export type NewLinkBody = Accepted<Static<typeof NewLink>>;
