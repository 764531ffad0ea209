// /api/v1/ci/events and /api/v1/deployments: events from Jenkins, GitHub Actions, GitLab CI or
// anything with curl, in the normalized form, processed synchronously.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { NormalizedEventInput } from '../../domain/events/normalized-event.js';
import { NormalizedEventSchema } from '../../domain/events/normalized-event.js';
import { ProblemError } from '../../errors/problem-error.js';
import { operationView } from '../../services/automation/operation-service.js';
import type { CiEventAnswer, CiEventService } from '../../services/inbox/ci-event-service.js';
import { auditContextOf } from '../audit-context-of.js';
import { CiAnswerSchema, DeploymentBody } from '../schemas/delivery-schemas.js';
import { problemResponses } from '../schemas/problem-schema.js';

const DEPLOYMENT_KINDS = {
  started: 'deployment.started',
  in_progress: 'deployment.started',
  success: 'deployment.succeeded',
  succeeded: 'deployment.succeeded',
  failure: 'deployment.failed',
  failed: 'deployment.failed',
  error: 'deployment.failed',
  rolled_back: 'deployment.rolled_back',
} as const;

export const ciRoutes: FastifyPluginAsyncTypebox<{ ci: CiEventService }> = async (app, { ci }) => {
  const idempotencyKeyOf = (value: string | string[] | undefined) =>
    typeof value === 'string' && value !== '' ? value : undefined;

  app.post(
    '/ci/events',
    {
      config: { auth: { scope: 'ci:events' } },
      schema: {
        tags: ['ci'],
        summary: 'Report a CI/CD event',
        description:
          'One event in the normalized form (kind, repository, branch, sha, commits, pr, pipeline, ' +
          '…). The token must cover the repository. Processed before the answer; send an ' +
          'Idempotency-Key so a retried step is the same delivery.',
        body: NormalizedEventSchema,
        response: { 200: CiAnswerSchema, ...problemResponses(400, 403) },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (principal === undefined) throw new ProblemError('unauthorized', 'Send a bearer token');
      return viewOf(
        await ci.report(
          request.body,
          principal,
          idempotencyKeyOf(request.headers['idempotency-key']),
          auditContextOf(request),
        ),
      );
    },
  );

  app.post(
    '/deployments',
    {
      config: { auth: { scope: 'deployments:write' } },
      schema: {
        tags: ['ci'],
        summary: 'Report a deployment',
        description:
          'status started|success|failure|rolled_back (and their synonyms) becomes a ' +
          'deployment.started|succeeded|failed|rolled_back event for the repository.',
        body: DeploymentBody,
        response: { 200: CiAnswerSchema, ...problemResponses(400, 403) },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (principal === undefined) throw new ProblemError('unauthorized', 'Send a bearer token');
      const { status, ref, ...rest } = request.body;
      const event: NormalizedEventInput = {
        ...rest,
        kind: DEPLOYMENT_KINDS[status as keyof typeof DEPLOYMENT_KINDS],
        deployment: { id: request.body.sha ?? request.id, status },
        ...refFields(ref),
      };
      return viewOf(
        await ci.report(
          event,
          principal,
          idempotencyKeyOf(request.headers['idempotency-key']),
          auditContextOf(request),
        ),
      );
    },
  );
};

function viewOf(answer: CiEventAnswer) {
  return { ...answer, operations: answer.operations.map((operation) => operationView(operation)) };
}

function refFields(ref: string | undefined): { branch?: string; tag?: string } {
  if (ref === undefined) return {};
  if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  return { branch: ref.replace(/^refs\/heads\//, '') };
}
