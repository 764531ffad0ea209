// POST /webhooks/github and /webhooks/gitlab: verify, store durably, then answer 202.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import type { RateLimitPolicy } from '../../domain/rate-limit/parse-rate-limit.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { DeliveryInbox } from '../../services/inbox/delivery-inbox.js';
import {
  githubHeaderRefusal,
  gitlabHeaderRefusal,
  receiveGithubWebhook,
  receiveGitlabWebhook,
  type WebhookRequest,
  type WebhookVerdict,
} from '../../services/inbox/receive-webhook.js';
import { boundedHeader, RefusalAudit } from '../../services/inbox/refusal-audit.js';
import { type RateLimiter, rateLimitHeaders } from '../../services/rate-limit/rate-limiter.js';
import type { Store } from '../../storage/store.js';
import type { Metrics } from '../metrics.js';

export interface WebhookRoutesOptions {
  config: Config['webhooks'];
  inbox: DeliveryInbox;
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  metrics: Metrics;
  rateLimiter: RateLimiter;
  /** Refused (401) deliveries per client address before they are answered 429. */
  refusalLimit: RateLimitPolicy;
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

  const refusals = new RefusalAudit({
    windowMs: options.refusalLimit.windowMs,
    clock: options.clock,
    append: (entries) => options.store.audit.append(entries),
    onError: (error) => app.log.error({ err: error }, 'could not audit refused webhooks'),
  });
  app.addHook('onClose', async () => {
    await refusals.close().catch((error) => {
      app.log.error({ err: error }, 'could not audit refused webhooks');
    });
  });

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
        if (verdict.status === 401) {
          await refuseUnverified(options, refusals, request, provider, verdict);
        }
        await recordMalformed(options, request, provider, verdict);
        throw new ProblemError('bad-request', verdict.detail, {
          reason: verdict.reason,
          ...verdict.extensions,
        });
      }
      const stored = await options.inbox.accept(verdict.delivery, !verdict.inspected);
      if ('malformed' in stored) {
        // Verified with a global secret, then found not to be JSON when it was stored.
        const refusal = {
          accepted: false,
          status: 400,
          reason: 'malformed',
          detail: 'The body is not JSON',
        } as const;
        options.metrics.webhooksRejected.inc({ provider, reason: refusal.reason });
        await recordMalformed(options, request, provider, refusal);
        throw new ProblemError('bad-request', refusal.detail, { reason: refusal.reason });
      }
      options.metrics.webhooksReceived.inc({ provider, duplicate: String(stored.duplicate) });
      return reply.code(202).send({ delivery: stored.id, duplicate: stored.duplicate });
    };

  // A request its headers already condemn (no signature, no token, nothing configured) is refused
  // before its body is read: an unsigned 20 MB body is never buffered.
  const refuseEarly =
    (
      provider: 'github' | 'gitlab',
      refusalOf: (headers: WebhookRequest['headers']) => WebhookVerdict | undefined,
    ) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      // A declared length over the limit is 413 whatever the credentials, as it was before
      // refusals were decided on the headers; the body is not read either way.
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.config.maxBodyBytes) {
        reply.header('connection', 'close');
        throw new ProblemError(
          'payload-too-large',
          `The body is ${declared} bytes; at most ${options.config.maxBodyBytes} are accepted`,
          {},
        );
      }
      const verdict = refusalOf(request.headers);
      if (verdict === undefined || verdict.accepted) return;
      options.metrics.webhooksRejected.inc({ provider, reason: verdict.reason });
      // The body is left unread: the connection closes after the answer instead of waiting
      // for the rest of an upload the client may have stopped.
      await refuseUnverified(options, refusals, request, provider, verdict, {
        connection: 'close',
      });
    };

  const schema = (provider: string, headers: string) => ({
    tags: ['webhooks'],
    summary: `Receive a ${provider} webhook`,
    description:
      `Verified (${headers}), stored durably, then answered 202. A redelivery (same delivery id) ` +
      'answers duplicate: true and changes nothing. 400 verified but not JSON, not UTF-8 or ' +
      'without an event header; 401 missing or bad signature; 429 (Retry-After) once an address ' +
      'is over its budget of refused deliveries; 413 too large; 503 when the delivery cannot be ' +
      'stored or the inbox is full.',
    response: { 202: AcceptedSchema },
  });

  app.post(
    '/webhooks/github',
    {
      config: { auth: 'public' },
      schema: schema('GitHub', 'X-Hub-Signature-256 over the raw body'),
      onRequest: refuseEarly('github', (headers) => githubHeaderRefusal(options.config, headers)),
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
      onRequest: refuseEarly('gitlab', (headers) => gitlabHeaderRefusal(options.config, headers)),
    },
    receive('gitlab', (request) => receiveGitlabWebhook(options.config, request)),
  );
};

/**
 * A delivery that was not verified: counted against its address's budget of refusals (429 with
 * Retry-After past it, else 401) and recorded through the summarizing RefusalAudit.
 */
async function refuseUnverified(
  options: WebhookRoutesOptions,
  refusals: RefusalAudit,
  request: FastifyRequest,
  provider: 'github' | 'gitlab',
  verdict: Extract<WebhookVerdict, { accepted: false }>,
  headers: Record<string, string> = {},
): Promise<never> {
  const decision = await options.rateLimiter.consume(
    `webhook-refusals:${request.ip}`,
    options.refusalLimit,
  );
  try {
    await refusals.record({
      provider,
      address: request.ip,
      reason: verdict.reason,
      detail: verdict.detail,
      event: eventHeader(request),
      deliveryId: deliveryHeader(request),
      requestId: request.id,
      limited: !decision.allowed,
    });
  } catch (error) {
    request.log.error({ err: error }, 'could not audit a rejected webhook');
  }
  if (!decision.allowed) {
    options.metrics.rateLimited.inc({ limit: 'webhook-refusals' });
    throw new ProblemError(
      'rate-limited',
      'Too many refused webhooks from this address',
      { reason: verdict.reason },
      { ...rateLimitHeaders(decision, options.refusalLimit), ...headers },
    );
  }
  throw new ProblemError('unauthorized', verdict.detail, { reason: verdict.reason }, headers);
}

/** A verified delivery refused for its body or event header leaves one bounded audit entry. */
async function recordMalformed(
  options: WebhookRoutesOptions,
  request: FastifyRequest,
  provider: string,
  verdict: Extract<WebhookVerdict, { accepted: false }>,
): Promise<void> {
  try {
    await options.store.audit.append([
      {
        occurredAt: options.clock.now().toISOString(),
        actor: { type: 'anonymous', id: boundedHeader(request.ip), name: null },
        action: 'webhook.malformed',
        targetType: 'webhook',
        targetId: provider,
        before: null,
        after: {
          reason: verdict.reason,
          event: boundedHeader(eventHeader(request)),
          deliveryId: boundedHeader(deliveryHeader(request)),
        },
        requestId: request.id,
        operationId: null,
        deliveryId: null,
        batchId: null,
        reason: verdict.detail,
      },
    ]);
  } catch (error) {
    request.log.error({ err: error }, 'could not audit a malformed webhook');
  }
}

function eventHeader(request: FastifyRequest): string | undefined {
  return firstHeader(request, 'x-github-event') ?? firstHeader(request, 'x-gitlab-event');
}

function deliveryHeader(request: FastifyRequest): string | undefined {
  return firstHeader(request, 'x-github-delivery') ?? firstHeader(request, 'x-gitlab-event-uuid');
}

function firstHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
