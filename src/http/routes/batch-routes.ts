// POST /api/v1/batch: up to 1,000 story operations in one request (DESIGN §6).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProblemError } from '../../errors/problem-error.js';
import type { BatchService } from '../../services/batch-service.js';
import { auditContextOf } from '../audit-context-of.js';
import {
  BatchAnswerSchema,
  BatchBody,
  checkBatchOperations,
  MAX_BATCH_OPERATIONS,
} from '../schemas/batch-schemas.js';
import { problemResponses } from '../schemas/problem-schema.js';

export interface BatchRoutesOptions {
  batches: BatchService;
  /** Largest request body, in bytes. */
  maxBodyBytes: number;
}

export const batchRoutes: FastifyPluginAsyncTypebox<BatchRoutesOptions> = async (
  app,
  { batches, maxBodyBytes },
) => {
  app.post(
    '/batch',
    {
      config: { auth: { scope: 'stories:write' } },
      bodyLimit: maxBodyBytes,
      schema: {
        tags: ['stories'],
        summary: 'Apply up to 1,000 story operations',
        description:
          'Operations: create, update, transition, link, delete, import. The whole batch is ' +
          'validated before anything is written (400 naming `operations[i]…`). atomic (default ' +
          'true): one transaction; a failing operation rolls everything back and the answer is ' +
          "that operation's problem, naming it (`operation`: its index). atomic false: each " +
          'operation is applied on its own and `results` holds its status and story or problem. ' +
          'Every change is audited with the batch id (GET /audit?batch=…). More than 1,000 ' +
          `operations or a body over ${maxBodyBytes} bytes: 413.`,
        body: BatchBody,
        response: {
          200: BatchAnswerSchema,
          ...problemResponses(400, 403, 404, 409, 412, 413, 422),
        },
      },
      // The count is checked before the schema: 1,001 operations is a 413, whatever they hold.
      preValidation: async (request) => {
        const operations = (request.body as { operations?: unknown } | null)?.operations;
        if (Array.isArray(operations) && operations.length > MAX_BATCH_OPERATIONS) {
          throw new ProblemError(
            'batch-too-large',
            `A batch holds at most ${MAX_BATCH_OPERATIONS} operations; this one has ` +
              `${operations.length}. Split it into several batches.`,
            { maxOperations: MAX_BATCH_OPERATIONS, operations: operations.length },
          );
        }
      },
      errorHandler: (error, _request, _reply) => {
        if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
          throw new ProblemError(
            'batch-too-large',
            `A batch body holds at most ${maxBodyBytes} bytes (batch.maxBodyBytes). Split it ` +
              'into several batches.',
            { maxBodyBytes },
          );
        }
        throw error; // the app's problem handler
      },
    },
    async (request) => {
      const checked = checkBatchOperations(request.body.operations);
      return batches.run(
        checked.operations,
        request.body.atomic ?? true,
        auditContextOf(request),
        checked.errors,
        request.principal,
      );
    },
  );
};
