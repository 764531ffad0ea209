// The pieces every provider's verification shares: reading a header, refusing with fixed words,
// and parsing an authentic body to check the repository a per-repository secret is for.
import { matchRepositoryGlob } from '../domain/auth/match-repository-glob.js';
import { invalidUtf8Offset } from '../domain/bytes/utf8.js';
import type {
  Inspection,
  WebhookHeaders,
  WebhookRefusal,
  WebhookRequest,
} from './webhook-provider.js';

/** A verified body that is not JSON (on the request's path, or when the inbox stores it). */
export const MALFORMED: WebhookRefusal = refuse(400, 'malformed', 'The body is not JSON');

export function refuse(
  status: 400 | 401,
  reason: string,
  detail: string,
  extensions?: Record<string, unknown>,
): WebhookRefusal {
  return {
    accepted: false,
    status,
    reason,
    detail,
    ...(extensions === undefined ? {} : { extensions }),
  };
}

/** A header's first value; undefined when it is absent or empty. */
export function header(headers: WebhookHeaders, name: string): string | undefined {
  const value = headers[name];
  const single = Array.isArray(value) ? value[0] : value;
  return single === undefined || single === '' ? undefined : single;
}

/** A 400 naming the first byte that is not UTF-8, for a body that is verified but not text. */
export function utf8Refusal(rawBody: Buffer): WebhookRefusal | undefined {
  const byteOffset = invalidUtf8Offset(rawBody);
  if (byteOffset === undefined) return undefined;
  return refuse(400, 'not-utf8', `The body is not valid UTF-8 at byte offset ${byteOffset}`, {
    byteOffset,
  });
}

/** JSON bodies, and the form-encoded `payload=` variant; undefined when unparseable. */
export function parsePayload(rawBody: Buffer | string, contentType: string | undefined): unknown {
  try {
    const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      const payload = new URLSearchParams(text).get('payload');
      return payload === null ? undefined : (JSON.parse(payload) as unknown);
    }
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Parses an authentic body and, when `matched` is given (the repository entries whose own
 * secret verified it), checks that the body names a repository one of them covers.
 */
export function checkRepository(
  request: WebhookRequest,
  repositoryOf: (payload: unknown) => string | null,
  matched: readonly { repository: string }[] | undefined,
  notCovered: WebhookRefusal,
): { inspection: Inspection } | { refusal: WebhookRefusal } {
  const unreadable = utf8Refusal(request.rawBody);
  if (unreadable !== undefined) return { refusal: unreadable };
  const payload = parsePayload(request.rawBody, header(request.headers, 'content-type'));
  if (payload === undefined) return { refusal: MALFORMED };
  const repository = repositoryOf(payload);
  if (
    matched !== undefined &&
    (repository === null ||
      !matched.some((entry) => matchRepositoryGlob(entry.repository, repository)))
  ) {
    return { refusal: notCovered };
  }
  return { inspection: { repository } };
}
