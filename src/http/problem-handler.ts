// The one place where errors become application/problem+json responses.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  PROBLEM_TYPES,
  type ProblemCode,
  ProblemError,
  type ProblemFieldError,
  problemBody,
} from '../errors/problem-error.js';
import { storageUnavailableProblem } from '../errors/storage-unavailable-problem.js';

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: ProblemError) {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  // A 403 to a bearer credential (a repository or grant it does not cover) is RFC 6750's
  // insufficient_scope, so a client can tell it from a bad credential (401, invalid_token).
  if (
    error.code === 'forbidden' &&
    error.headers['www-authenticate'] === undefined &&
    /^Bearer\s/i.test(request.headers.authorization ?? '')
  ) {
    reply.header('www-authenticate', 'Bearer realm="storyflow", error="insufficient_scope"');
  }
  return reply
    .code(error.status)
    .type('application/problem+json')
    .serializer(JSON.stringify)
    .send(problemBody(error, request.url));
}

export interface ProblemHandlerOptions {
  /** Told of each error answered as a storage failure (503), e.g. for /readyz. */
  onStorageFailure?: (error: unknown) => void;
}

export function registerProblemHandlers(
  app: FastifyInstance,
  options: ProblemHandlerOptions = {},
): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const storageFailure =
      error instanceof ProblemError ? undefined : storageUnavailableProblem(error);
    if (storageFailure !== undefined) {
      options.onStorageFailure?.(error);
      // The reason only: a pg error carries its whole client object.
      request.log.warn({ detail: storageFailure.message }, 'request failed: database unavailable');
      return sendProblem(reply, request, storageFailure);
    }
    const problem = toProblem(error);
    // 503 is an expected state (database away, inbox full), not a bug: a warning.
    if (problem.code === 'unavailable') {
      request.log.warn({ detail: problem.message }, 'request refused: unavailable');
    } else if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, request, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      request,
      new ProblemError('not-found', `No route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}

const FASTIFY_CODES: Record<string, ProblemCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad-request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad-request',
};

function toProblem(error: FastifyError): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error.validation !== undefined) {
    const errors = error.validation.map(validationToField(error.validationContext ?? 'body'));
    const first = errors[0];
    return new ProblemError(
      'validation',
      first === undefined ? error.message : `${first.field}: ${first.message}`,
      { errors },
    );
  }
  const code = error.code === undefined ? undefined : FASTIFY_CODES[error.code];
  if (code !== undefined) return new ProblemError(code, error.message);
  if (error instanceof SyntaxError)
    return new ProblemError('bad-request', `Invalid JSON: ${error.message}`);
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new ProblemError(statusToCode(error.statusCode), error.message);
  }
  return new ProblemError(
    'internal',
    'The server failed to handle this request; it has been logged',
  );
}

// The codes a bare 4xx from Fastify or a plugin maps to; their statuses come from the catalogue.
const GENERIC_CODES = [
  'unauthorized',
  'forbidden',
  'not-found',
  'method-not-allowed',
  'not-acceptable',
  'conflict',
  'precondition-failed',
  'payload-too-large',
  'unsupported-media-type',
  'rate-limited',
] as const satisfies readonly ProblemCode[];

function statusToCode(status: number): ProblemCode {
  return GENERIC_CODES.find((code) => PROBLEM_TYPES[code].status === status) ?? 'bad-request';
}

type AjvError = NonNullable<FastifyError['validation']>[number];

/** Names the field an Ajv error is about, as a dotted path (`labels.2`, `query.limit`). */
function validationToField(context: string) {
  return (error: AjvError): ProblemFieldError => {
    const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const params = error.params as Record<string, unknown>;
    const missing = typeof params.missingProperty === 'string' ? params.missingProperty : undefined;
    const extra =
      typeof params.additionalProperty === 'string' ? params.additionalProperty : undefined;
    const leaf = missing ?? extra;
    const field = [path, leaf].filter((part) => part !== undefined && part !== '').join('.');
    const prefix = context === 'body' ? '' : `${context}.`;
    const message =
      extra !== undefined ? 'is not a known property' : (error.message ?? 'is invalid');
    return { field: field === '' ? context : `${prefix}${field}`, message };
  };
}
