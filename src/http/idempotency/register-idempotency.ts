// Idempotency-Key on every POST and PATCH under /api/v1.
//
//   preHandler  (after authentication and body validation) claims the key for the principal with
//               INSERT … ON CONFLICT DO NOTHING, or answers a replay / 422 / 409 instead of
//               running the handler;
//   onSend      stores the answer of the request holding the key: 2xx and 4xx are kept and
//               replayed; any other answer (5xx) releases the key so a retry runs again.
//
// A request that never reaches its handler (401/403/429, 400 for a body that fails the schema,
// 413) claims nothing and stores nothing, like Stripe. While its request runs, a claim's lease
// (inFlightTimeoutSeconds) is renewed every quarter of it; a process that dies while holding a
// key stops renewing, and a retry takes the key over once the lease has run out.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type HeldKey,
  IdempotencyService,
  requestFingerprint,
  type StoredResponse,
} from '../../services/idempotency-service.js';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

/** Response headers a replay repeats; the rest (request id, rate limits) belong to the retry. */
const STORED_HEADERS = ['content-type', 'etag', 'location'] as const;

export interface RouteIdempotencyConfig {
  /**
   * Top-level fields of the JSON answer that are stored as null (secrets shown once, such as a
   * new token): a replay repeats everything else.
   */
  redact?: readonly string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: RouteIdempotencyConfig;
  }
  interface FastifyRequest {
    /** The Idempotency-Key this request holds while it runs (set by the preHandler hook). */
    idempotencyKey?: HeldKey;
  }
  interface FastifyInstance {
    /** Idempotency-Key storage: tests and operators call cleanup() to delete expired keys. */
    idempotency: IdempotencyService;
  }
}

export interface IdempotencyHookOptions {
  service: IdempotencyService;
  /** How often expired keys are deleted (a timer, unref'd and stopped on close). */
  cleanupIntervalMs: number;
}

export function registerIdempotency(app: FastifyInstance, options: IdempotencyHookOptions): void {
  const { service } = options;
  app.decorate('idempotency', service);
  app.decorateRequest('idempotencyKey', undefined);
  // The lease renewals of the requests holding a key.
  const renewals = new WeakMap<FastifyRequest, NodeJS.Timeout>();
  const stopRenewing = (request: FastifyRequest) => {
    clearInterval(renewals.get(request));
    renewals.delete(request);
  };
  const startRenewing = (request: FastifyRequest, held: HeldKey) => {
    const timer = setInterval(() => {
      service.renew(held).then(
        (renewed) => {
          if (renewed) return;
          stopRenewing(request);
          request.log.warn(
            { idempotencyKey: held.key },
            'the Idempotency-Key was taken over while this request ran',
          );
        },
        (error: unknown) => request.log.warn({ err: error }, 'could not renew an Idempotency-Key'),
      );
    }, service.renewEveryMs);
    timer.unref();
    renewals.set(request, timer);
  };

  app.addHook('preHandler', async (request, reply) => {
    if (!appliesTo(request)) return;
    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (header === undefined) return;
    const key = Array.isArray(header) ? header.join(', ') : header;
    IdempotencyService.assertValidKey(key);
    const principal = request.principal;
    if (principal === undefined) return;

    const ifMatch = request.headers['if-match'];
    const hash = requestFingerprint({
      method: request.method,
      url: request.url,
      principalId: principal.id,
      ifMatch: Array.isArray(ifMatch) ? ifMatch.join(', ') : ifMatch,
      body: request.body,
    });
    const outcome = await service.begin(principal.id, key, hash);
    if (outcome.kind === 'replay') return replay(reply, outcome.response);
    request.idempotencyKey = outcome.held;
    startRenewing(request, outcome.held);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const held = request.idempotencyKey;
    if (held === undefined) return payload;
    request.idempotencyKey = undefined;
    stopRenewing(request);
    const status = reply.statusCode;
    const body = payloadText(payload);
    const keep =
      ((status >= 200 && status < 300) || (status >= 400 && status < 500)) && body !== null;
    try {
      if (keep) {
        const redact = request.routeOptions.config.idempotency?.redact ?? [];
        const stored: StoredResponse = {
          status,
          headers: storedHeaders(reply),
          body: redact.length > 0 ? redactFields(body, redact) : body,
        };
        if (!(await service.complete(held, stored))) {
          request.log.warn(
            { idempotencyKey: held.key },
            'the Idempotency-Key was taken over while this request ran; its answer is not stored',
          );
        }
      } else {
        await service.release(held);
      }
    } catch (error) {
      // The answer goes out anyway; the claim stays in flight until its lease runs out.
      request.log.error({ err: error }, 'could not store the Idempotency-Key answer');
    }
    return payload;
  });

  // A request that ends without onSend (the connection died first) must not keep its key.
  app.addHook('onResponse', async (request) => {
    const held = request.idempotencyKey;
    if (held === undefined) return;
    request.idempotencyKey = undefined;
    stopRenewing(request);
    await service.release(held).catch((error: unknown) => {
      request.log.error({ err: error }, 'could not release an Idempotency-Key');
    });
  });

  const timer = setInterval(() => {
    service.cleanup().catch((error: unknown) => {
      app.log.warn({ err: error }, 'could not delete expired Idempotency-Keys');
    });
  }, options.cleanupIntervalMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}

/** POST and PATCH routes under /api/v1. */
function appliesTo(request: FastifyRequest): boolean {
  if (request.method !== 'POST' && request.method !== 'PATCH') return false;
  const url = request.routeOptions.url;
  return url?.startsWith('/api/v1/') === true;
}

function replay(reply: FastifyReply, response: StoredResponse): FastifyReply {
  reply.code(response.status);
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  reply.header(REPLAYED_HEADER, 'true');
  // A Buffer is sent as it is: no serializer runs, so the bytes are the first answer's.
  return reply.send(Buffer.from(response.body, 'utf8'));
}

function payloadText(payload: unknown): string | null {
  if (payload === null || payload === undefined) return '';
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  return null; // a stream: not stored
}

function storedHeaders(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return headers;
}

function redactFields(body: string, fields: readonly string[]): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return body;
    const copy = { ...(parsed as Record<string, unknown>) };
    for (const field of fields) if (field in copy) copy[field] = null;
    return JSON.stringify(copy);
  } catch {
    return body;
  }
}
