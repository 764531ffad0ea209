// GET /api/v1/gates/deployment: may this commit of this repository be deployed to this
// environment? The deployment gate service decides (config `gates:`); `storyflow ci gate` asks.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { LINK_FIELD_LIMITS, REPOSITORY_NAME_PATTERN } from '../../domain/links/link-input.js';
import type { DeploymentGateService } from '../../services/deployment-gate-service.js';
import { problemResponses } from '../schemas/problem-schema.js';

const GateQuery = Type.Object(
  {
    repository: Type.String({
      pattern: REPOSITORY_NAME_PATTERN,
      maxLength: LINK_FIELD_LIMITS.repository,
      description: 'owner/name (or group/subgroup/project), as events name it',
    }),
    environment: Type.String({
      minLength: 1,
      maxLength: LINK_FIELD_LIMITS.environment,
      description: 'the environment about to be deployed to, e.g. production',
    }),
    sha: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LINK_FIELD_LIMITS.sha,
        pattern: '^[0-9A-Za-z]+$',
        description: 'the commit about to be deployed',
      }),
    ),
  },
  { additionalProperties: false },
);

const GateAnswer = Type.Object({
  decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
  stories: Type.Array(
    Type.Object({
      id: Type.String(),
      status: Type.String(),
      required: Type.Array(Type.String(), {
        description: 'the statuses the environment requires (empty: no gate)',
      }),
    }),
  ),
  reasons: Type.Array(Type.String()),
  since: Type.Union([Type.String(), Type.Null()], {
    description: 'when the last successful deployment to the environment was recorded',
  }),
});

export const gateRoutes: FastifyPluginAsyncTypebox<{ gates: DeploymentGateService }> = async (
  app,
  { gates },
) => {
  app.get(
    '/gates/deployment',
    {
      config: { auth: { scope: 'stories:read' } },
      schema: {
        tags: ['ci'],
        summary: 'May this commit be deployed to this environment?',
        description:
          'Finds the stories the deployment would ship (linked at `sha`, or merged or pushed to ' +
          'a default branch since the last successful deployment to the environment) and ' +
          "answers `deny` when one is not in a status the environment's gate (config `gates:`) " +
          'requires, with one reason per story. An environment without a gate is allowed.',
        querystring: GateQuery,
        response: { 200: GateAnswer, ...problemResponses(400, 403) },
      },
    },
    async (request) => {
      const { repository, environment, sha } = request.query;
      return gates.check(request.principal, {
        repository,
        environment,
        ...(sha === undefined ? {} : { sha }),
      });
    },
  );
};
