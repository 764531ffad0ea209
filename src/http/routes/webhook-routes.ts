// POST /webhooks/github and /webhooks/gitlab: verify, store durably, then answer 202.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { DeliveryInbox } from '../../services/inbox/delivery-inbox.js';
import {
  receiveGithubWebhook,
  receiveGitlabWebhook,
  type WebhookRequest,
  type WebhookVerdict,
} from '../../services/inbox/receive-webhook.js';
import type { Store } from '../../storage/store.js';
import type { Metrics } from '../metrics.js';

export interface WebhookRoutesOptions {
  config: Config['webhooks'];
  inbox: DeliveryInbox;
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  metrics: Metrics;
}

const AcceptedSchema = {
  type: 'object',
  properties: {
    delivery: { type: 'string', description: 'storyflow id of the stored delivery' },
    duplicate: { type: 'boolean', description: 'true when this delivery id was stored before' },
  },
  required: ['delivery', 'duplicate'],
} as const;

export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, options) => {
  // Signatures cover the exact bytes, so bodies stay raw here (this parser is scoped to the plugin).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: options.config.maxBodyBytes },
    (_request, body, done) => done(null, body),
  );

  const receive = (
    provider: 'github' | 'gitlab',
    verdictOf: (request: WebhookRequest) => WebhookVerdict,
  ) =>
    async function handler(request: FastifyRequest, reply: FastifyReply) {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const verdict = verdictOf({
        headers: request.headers,
        rawBody,
        sourceAddress: request.ip,
        receivedAt: options.clock.now(),
        newId: options.ids.next('dlv'),
      });
      if (!verdict.accepted) {
        options.metrics.webhooksRejected.inc({ provider, reason: verdict.reason });
        await recordRejection(options, request, provider, verdict);
        throw new ProblemError(
          verdict.status === 401 ? 'unauthorized' : 'bad-request',
          verdict.detail,
          { reason: verdict.reason },
        );
      }
      const stored = await options.inbox.accept(verdict.delivery, !verdict.inspected);
      if ('malformed' in stored) {
        // Verified with a global secret, then found not to be JSON when it was stored.
        const refusal = {
          accepted: false,
          status: 400,
          reason: 'malformed',
          detail: 'The body is not JSON',
          repository: null,
        } as const;
        options.metrics.webhooksRejected.inc({ provider, reason: refusal.reason });
        await recordRejection(options, request, provider, refusal);
        throw new ProblemError('bad-request', refusal.detail, { reason: refusal.reason });
      }
      options.metrics.webhooksReceived.inc({ provider, duplicate: String(stored.duplicate) });
      return reply.code(202).send({ delivery: stored.id, duplicate: stored.duplicate });
    };

  const schema = (provider: string, headers: string) => ({
    tags: ['webhooks'],
    summary: `Receive a ${provider} webhook`,
    description:
      `Verified (${headers}), stored durably, then answered 202. A redelivery (same delivery id) ` +
      'answers duplicate: true and changes nothing. 401 bad signature, 413 too large, 503 when ' +
      'the delivery cannot be stored or the inbox is full.',
    response: { 202: AcceptedSchema },
  });

  app.post(
    '/webhooks/github',
    {
      config: { auth: 'public' },
      schema: schema('GitHub', 'X-Hub-Signature-256 over the raw body'),
    },
    receive('github', (request) => receiveGithubWebhook(options.config, request)),
  );
  app.post(
    '/webhooks/gitlab',
    {
      config: { auth: 'public' },
      schema: schema(
        'GitLab',
        'X-Gitlab-Token, or the Standard Webhooks signature when configured',
      ),
    },
    receive('gitlab', (request) => receiveGitlabWebhook(options.config, request)),
  );
};

/** A refused webhook leaves one audit entry (and nothing else) behind. */
async function recordRejection(
  options: WebhookRoutesOptions,
  request: FastifyRequest,
  provider: string,
  verdict: Extract<WebhookVerdict, { accepted: false }>,
): Promise<void> {
  try {
    await options.store.audit.append([
      {
        occurredAt: options.clock.now().toISOString(),
        actor: { type: 'anonymous', id: request.ip, name: null },
        action: verdict.status === 401 ? 'webhook.rejected' : 'webhook.malformed',
        targetType: 'webhook',
        targetId: provider,
        before: null,
        after: {
          reason: verdict.reason,
          repository: verdict.repository,
          event: String(
            request.headers['x-github-event'] ?? request.headers['x-gitlab-event'] ?? '',
          ),
          deliveryId: String(
            request.headers['x-github-delivery'] ?? request.headers['x-gitlab-event-uuid'] ?? '',
          ),
        },
        requestId: request.id,
        operationId: null,
        deliveryId: null,
        batchId: null,
        reason: verdict.detail,
      },
    ]);
  } catch (error) {
    request.log.error({ err: error }, 'could not audit a rejected webhook');
  }
}
