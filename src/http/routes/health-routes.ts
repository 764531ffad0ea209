// Liveness and readiness probes (public).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ProblemError } from '../../errors/problem-error.js';
import type { StorageReadiness } from '../../services/storage-readiness.js';
import { problemResponses } from '../schemas/problem-schema.js';

export const healthRoutes: FastifyPluginAsyncTypebox<{
  /** The database's dialect, named by a ready answer. */
  database: string;
  /** Whether the database answers and can write (services/storage-readiness.ts). */
  checkStorage: () => Promise<StorageReadiness>;
  /** `serve`: why the write lock or the event loop is stuck, or null (see stuck-check.ts). */
  stuckReason?: () => string | null;
}> = async (app, { database, checkStorage, stuckReason }) => {
  const Status = Type.Object({ status: Type.String() });
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        response: { 200: Status },
      },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary:
          'Readiness: the database answers and can write, and neither the write lock nor the event loop is stuck',
        response: {
          200: Type.Object({ status: Type.String(), database: Type.String() }),
          ...problemResponses(503),
        },
      },
    },
    async () => {
      const stuck = stuckReason?.() ?? null;
      if (stuck !== null) throw new ProblemError('unavailable', stuck, {}, { 'retry-after': '5' });
      const storage = await checkStorage();
      if (!storage.ready) {
        throw new ProblemError('unavailable', storage.reason, {}, { 'retry-after': '5' });
      }
      return { status: 'ready', database };
    },
  );
};
