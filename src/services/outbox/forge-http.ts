// One JSON call to a forge's REST API with plain fetch, and its answer classified the way every
// forge but GitHub needs: 429 → limited (Retry-After honoured), 5xx and network errors → retry,
// any other 4xx → refused. Shared by the Gitea, Bitbucket Cloud and Azure DevOps clients.
import type { ForgeBackoffHints } from '../../domain/outbox/next-send-delay.js';
import { CALL_TIMEOUT_MS, type FetchLike, type SendResult } from './forge-client.js';

export type ForgeCallResult =
  | { kind: 'sent'; body: unknown }
  | { kind: 'retry'; error: string; hints: ForgeBackoffHints }
  | { kind: 'limited'; error: string; hints: ForgeBackoffHints }
  | { kind: 'refused'; error: string; status: number };

const NO_HINTS: ForgeBackoffHints = {
  retryAfter: null,
  rateLimitRemaining: null,
  rateLimitReset: null,
};

export async function callForge(
  fetchImpl: FetchLike,
  method: string,
  url: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<ForgeCallResult> {
  // The error names the method and path only: the API root is config, the query holds nothing.
  const what = `${method} ${new URL(url).pathname}`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method,
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        'user-agent': 'storyflow',
        ...headers,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (error) {
    return { kind: 'retry', error: `${what}: ${describeError(error)}`, hints: NO_HINTS };
  }
  const text = await response.text().catch(() => '');
  if (response.ok) return { kind: 'sent', body: parse(text) };
  const hints: ForgeBackoffHints = {
    retryAfter: response.headers.get('retry-after'),
    rateLimitRemaining: response.headers.get('x-ratelimit-remaining'),
    rateLimitReset: response.headers.get('x-ratelimit-reset'),
  };
  const error = `${what}: ${response.status}${messageOf(parse(text))}`;
  if (response.status === 429) return { kind: 'limited', error, hints };
  if (response.status >= 500) return { kind: 'retry', error, hints };
  return { kind: 'refused', error, status: response.status };
}

/** The call's result as the sender takes it (the answer's body dropped, `remoteId` given). */
export function sendResultOf(result: ForgeCallResult, remoteId: string | null): SendResult {
  if (result.kind === 'sent') return { kind: 'sent', remoteId };
  if (result.kind === 'refused') return { kind: 'refused', error: result.error };
  return result;
}

/** A numeric or string `id` of an answer, as text. */
export function idOf(body: unknown): string | null {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'number' || typeof id === 'string' ? String(id) : null;
}

/** `owner/name` → its two path segments, each URL-encoded (after undoing the %20 of events). */
export function repositorySegments(repository: string): [string, string] {
  const [owner = '', name = ''] = repository.split('/');
  return [segment(owner), segment(name)];
}

function segment(value: string): string {
  let decoded = value;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    // Not percent-encoded: taken as it is.
  }
  return encodeURIComponent(decoded);
}

/** The forges' error bodies: Gitea `message`, Bitbucket `error.message`, Azure `message`. */
function messageOf(body: unknown): string {
  const record = body as { message?: unknown; error?: { message?: unknown } } | null;
  const message = record?.message ?? record?.error?.message;
  return typeof message === 'string' ? ` ${message.slice(0, 300)}` : '';
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function describeError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if ((error as Error | null)?.name === 'TimeoutError')
    return `no answer within ${CALL_TIMEOUT_MS / 1000}s`;
  return cause?.code ?? (error as Error).message ?? 'network error';
}
