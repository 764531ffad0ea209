// The authentication, authorization and rate limit hook run before every route.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Principal, principalHasScope } from '../../domain/auth/principal.js';
import type { RateLimitPolicy } from '../../domain/rate-limit/parse-rate-limit.js';
import { parseRateLimit } from '../../domain/rate-limit/parse-rate-limit.js';
import { ProblemError } from '../../errors/problem-error.js';
import { looksLikeJwt, type OidcVerifier } from '../../services/oidc/oidc-verifier.js';
import { type RateLimiter, rateLimitHeaders } from '../../services/rate-limit/rate-limiter.js';
import type { TokenService } from '../../services/token-service.js';
import type { Metrics } from '../metrics.js';
import { requiredAuth } from './route-auth.js';

export interface AuthDependencies {
  tokens: TokenService;
  oidc: OidcVerifier;
  rateLimiter: RateLimiter;
  metrics: Metrics;
  limits: { perToken: RateLimitPolicy; perAddress: RateLimitPolicy; authFailures: RateLimitPolicy };
  metricsPublic: boolean;
}

export function registerAuth(app: FastifyInstance, deps: AuthDependencies): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url ?? request.url;
    let auth = requiredAuth(request.routeOptions.config, url);
    if (url === '/metrics') auth = deps.metricsPublic ? 'public' : { scope: 'admin' };
    if (auth === 'public') return;

    const address = await consume(deps, `addr:${request.ip}`, deps.limits.perAddress);
    if (!address.allowed) {
      deps.metrics.rateLimited.inc({ limit: 'address' });
      throw tooManyRequests(address.headers, 'Too many requests from this address');
    }

    const principal = await authenticate(request, deps);
    const allowed = principalHasScope(principal, auth.scope);
    if (!allowed) {
      deps.metrics.authFailures.inc({ reason: 'missing-scope' });
      throw new ProblemError(
        'forbidden',
        `This token lacks the scope ${auth.scope}`,
        { requiredScope: auth.scope },
        { 'www-authenticate': bearerChallenge('insufficient_scope', auth.scope) },
      );
    }

    const policy =
      principal.rateLimit === null ? deps.limits.perToken : parseRateLimit(principal.rateLimit);
    const budget = await consume(deps, `principal:${principal.id}`, policy);
    reply.headers(budget.headers);
    if (!budget.allowed) {
      deps.metrics.rateLimited.inc({ limit: 'token' });
      throw tooManyRequests(budget.headers, 'Rate limit of this token exceeded');
    }
    request.principal = principal;
  });
}

async function consume(deps: AuthDependencies, key: string, policy: RateLimitPolicy) {
  const decision = await deps.rateLimiter.consume(key, policy);
  return { allowed: decision.allowed, headers: rateLimitHeaders(decision, policy) };
}

function tooManyRequests(headers: Record<string, string>, detail: string): ProblemError {
  return new ProblemError('rate-limited', detail, {}, headers);
}

/**
 * The RFC 6750 challenge: no error code when no credential was sent, `invalid_token` for a
 * credential that is not (or no longer) valid, `insufficient_scope` for a valid one that may
 * not do this.
 */
export function bearerChallenge(
  error?: 'invalid_token' | 'insufficient_scope',
  scope?: string,
): string {
  return [
    'Bearer realm="storyflow"',
    ...(error === undefined ? [] : [`error="${error}"`]),
    ...(scope === undefined ? [] : [`scope="${scope}"`]),
  ].join(', ');
}

/**
 * The principal behind the bearer credential, or a problem (counted and limited): 401 for a
 * missing, unknown, revoked or expired credential; 403 only for a valid one that no OIDC
 * policy grants anything.
 */
async function authenticate(request: FastifyRequest, deps: AuthDependencies): Promise<Principal> {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] === undefined) {
    return refuse(deps, request, 'missing', 'Send Authorization: Bearer <token>', 'unauthorized');
  }
  const credential = match[1];
  if (looksLikeJwt(credential) && deps.oidc.enabled) {
    const result = await deps.oidc.verify(credential);
    if (result.principal !== undefined) return result.principal;
    const failure = result.failure ?? 'invalid-token';
    const status = failure === 'no-matching-policy' ? 'forbidden' : 'unauthorized';
    return refuse(deps, request, `oidc-${failure}`, oidcMessage(failure), status);
  }
  const result = await deps.tokens.authenticate(credential);
  if (typeof result !== 'string') return result;
  if (result === 'unknown') {
    return refuse(deps, request, 'unknown-token', 'Unknown token', 'unauthorized');
  }
  const detail = result === 'revoked' ? 'This token has been revoked' : 'This token has expired';
  return refuse(deps, request, `token-${result}`, detail, 'unauthorized');
}

async function refuse(
  deps: AuthDependencies,
  request: FastifyRequest,
  reason: string,
  detail: string,
  code: 'unauthorized' | 'forbidden',
): Promise<never> {
  deps.metrics.authFailures.inc({ reason });
  // Repeated failures from one address are limited, so guessing tokens is slow.
  const failures = await consume(deps, `authfail:${request.ip}`, deps.limits.authFailures);
  if (!failures.allowed) {
    deps.metrics.rateLimited.inc({ limit: 'auth-failures' });
    throw tooManyRequests(failures.headers, 'Too many failed authentications from this address');
  }
  const headers: Record<string, string> = {
    'www-authenticate':
      code === 'forbidden'
        ? bearerChallenge('insufficient_scope')
        : bearerChallenge(reason === 'missing' ? undefined : 'invalid_token'),
  };
  throw new ProblemError(code, detail, { reason }, headers);
}

function oidcMessage(failure: string): string {
  switch (failure) {
    case 'untrusted-issuer':
      return 'The id token was issued by an issuer this server does not trust';
    case 'expired':
      return 'The id token has expired';
    case 'wrong-audience':
      return 'The id token was issued for another audience';
    case 'no-matching-policy':
      return 'No OIDC policy grants access to this id token';
    default:
      return 'The id token is not valid';
  }
}
