import { Type } from '@sinclair/typebox';

/** RFC 9457 problem details, as every error response carries them. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({
      description: 'Stable problem type URI, e.g. urn:storyflow:problem:story-not-found',
    }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String(),
          message: Type.String(),
          line: Type.Optional(Type.Integer({ description: '1-based line in the document' })),
          document: Type.Optional(
            Type.Integer({ description: 'index of the document in the request' }),
          ),
        }),
      ),
    ),
  },
  {
    $id: 'Problem',
    additionalProperties: true,
    description: 'application/problem+json (RFC 9457)',
  },
);

/** Responses every route may give, referenced by route schemas. */
export function problemResponses(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref(ProblemSchema)]));
}
