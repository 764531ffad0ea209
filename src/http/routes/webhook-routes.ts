// POST /webhooks/<provider>, one route per provider of the table: verify, store durably, then
// answer 202.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import type { IdGenerator } from '../../domain/ids.js';
import type { RateLimitPolicy } from '../../domain/rate-limit/parse-rate-limit.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { ProviderTable } from '../../providers/index.js';
import type { WebhookProvider, WebhookRefusal } from '../../providers/webhook-provider.js';
import { MALFORMED } from '../../providers/webhook-request.js';
import type { DeliveryInbox } from '../../services/inbox/delivery-inbox.js';
import { receiveWebhook } from '../../services/inbox/receive-webhook.js';
import type { MalformedDelivery, WebhookRefusals } from '../../services/inbox/webhook-refusals.js';
import { type RateLimiter, rateLimitHeaders } from '../../services/rate-limit/rate-limiter.js';
import type { Metrics } from '../metrics.js';

export interface WebhookRoutesOptions {
  config: Config['webhooks'];
  inbox: DeliveryInbox;
  /** The audit of refusals; closed with the app (its open window's summaries written). */
  refusals: WebhookRefusals;
  clock: Clock;
  ids: IdGenerator;
  metrics: Metrics;
  rateLimiter: RateLimiter;
  /** Refused (401) deliveries per client address before they are answered 429. */
  refusalLimit: RateLimitPolicy;
  /** One route per provider: POST /webhooks/<name>. */
  providers: ProviderTable;
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

  app.addHook('onClose', async () => {
    await options.refusals.close().catch((error) => {
      app.log.error({ err: error }, 'could not audit refused webhooks');
    });
  });

  /**
   * Every refusal's answer, whether the headers, the verification or the inbox (a body found
   * not to be JSON when stored) decided it: 401 (or 429 past the address's budget) with the
   * summarizing refusal audit; 400 with one bounded audit entry.
   */
  const answerRefusal = async (
    request: FastifyRequest,
    provider: WebhookProvider,
    refusal: WebhookRefusal,
    headers: Record<string, string> = {},
  ): Promise<never> => {
    options.metrics.webhooksRejected.inc({ provider: provider.name, reason: refusal.reason });
    if (refusal.status === 401) {
      await refuseUnverified(options, request, provider, refusal, headers);
    }
    await recordMalformed(options, request, provider, refusal);
    throw new ProblemError('bad-request', refusal.detail, {
      reason: refusal.reason,
      ...refusal.extensions,
    });
  };

  const receive = (provider: WebhookProvider) =>
    async function handler(request: FastifyRequest, reply: FastifyReply) {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const verdict = receiveWebhook(provider, options.config, {
        headers: request.headers,
        rawBody,
        sourceAddress: request.ip,
        receivedAt: options.clock.now(),
        newId: options.ids.next('dlv'),
      });
      if (!verdict.accepted) return answerRefusal(request, provider, verdict);
      const stored = await options.inbox.accept(verdict.delivery, !verdict.inspected);
      // Verified with a global secret, then found not to be JSON when it was stored.
      if ('malformed' in stored) return answerRefusal(request, provider, MALFORMED);
      options.metrics.webhooksReceived.inc({
        provider: provider.name,
        duplicate: String(stored.duplicate),
      });
      return reply.code(202).send({ delivery: stored.id, duplicate: stored.duplicate });
    };

  // A request its headers already condemn (no signature, no token, nothing configured) is refused
  // before its body is read: an unsigned 20 MB body is never buffered.
  const refuseEarly =
    (provider: WebhookProvider) => async (request: FastifyRequest, reply: FastifyReply) => {
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
      const refusal = provider.refuseEarly(options.config, request.headers);
      if (refusal === undefined) return;
      // The body is left unread: the connection closes after the answer instead of waiting
      // for the rest of an upload the client may have stopped.
      await answerRefusal(request, provider, refusal, { connection: 'close' });
    };

  for (const provider of options.providers) {
    app.post(
      `/webhooks/${provider.name}`,
      {
        config: { auth: 'public' },
        schema: {
          tags: ['webhooks'],
          summary: `Receive a ${provider.title} webhook`,
          description:
            `Verified (${provider.verifiedBy}), stored durably, then answered 202. A redelivery ` +
            '(same delivery id) answers duplicate: true and changes nothing. 400 verified but ' +
            'not JSON, not UTF-8 or without an event header; 401 missing or bad signature; 429 ' +
            '(Retry-After) once an address is over its budget of refused deliveries; 413 too ' +
            'large; 503 when the delivery cannot be stored or the inbox is full.',
          response: { 202: AcceptedSchema },
        },
        onRequest: refuseEarly(provider),
      },
      receive(provider),
    );
  }
};

/**
 * A delivery that was not verified: counted against its address's budget of refusals (429 with
 * Retry-After past it, else 401) and recorded in the summarizing refusal audit.
 */
async function refuseUnverified(
  options: WebhookRoutesOptions,
  request: FastifyRequest,
  provider: WebhookProvider,
  verdict: WebhookRefusal,
  headers: Record<string, string>,
): Promise<never> {
  const decision = await options.rateLimiter.consume(
    `webhook-refusals:${request.ip}`,
    options.refusalLimit,
  );
  try {
    await options.refusals.unverified({
      ...refusalFacts(request, provider, verdict),
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
  provider: WebhookProvider,
  verdict: WebhookRefusal,
): Promise<void> {
  try {
    await options.refusals.malformed(refusalFacts(request, provider, verdict));
  } catch (error) {
    request.log.error({ err: error }, 'could not audit a malformed webhook');
  }
}

/** What a refusal's audit keeps of a request: fixed words, the address, and bounded claims. */
function refusalFacts(
  request: FastifyRequest,
  provider: WebhookProvider,
  verdict: WebhookRefusal,
): MalformedDelivery {
  const claimed = provider.claims(request.headers);
  return {
    provider: provider.name,
    address: request.ip,
    reason: verdict.reason,
    detail: verdict.detail,
    event: claimed.event,
    deliveryId: claimed.deliveryId,
    requestId: request.id,
  };
}
