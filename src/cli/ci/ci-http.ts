// HTTP for pipeline steps: retries network errors, timeouts, 408, 429 and 5xx with backoff that
// honours Retry-After (CI_RETRY_POLICY in ../retry-policy.ts), always under the same
// Idempotency-Key, so a retried step never applies twice.
import { describeAuthRefusal } from '../describe-auth-refusal.js';
import { CI_RETRY_POLICY, retryAfterMs, retryDelayMs } from '../retry-policy.js';

export interface CiHttpOptions {
  baseUrl: string;
  token: string | undefined;
  /** Attempts in all (default 5). */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry, for the job log. */
  onRetry?: (message: string) => void;
  /** How long one attempt waits for the answer (default 30 s). */
  timeoutMs?: number;
}

export type CiHttpResult =
  | { ok: true; status: number; body: unknown; replayed: boolean }
  | { ok: false; kind: 'rejected'; status: number; body: unknown; message: string }
  | { ok: false; kind: 'unreachable'; message: string }
  /**
   * The last attempt reached the server but got no answer in time: a server that hangs is
   * not a flaky network, and whether the request applied is unknown (the CLI exits 1).
   */
  | { ok: false; kind: 'unanswered'; message: string };

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * How long the client keeps asking while the server answers that an earlier attempt with the
 * same key is still in flight. Those answers use no attempt: when a server dies holding the
 * key, its lease (10 s by default, idempotency.inFlightTimeoutSeconds) must run out before a
 * retry can take it over, and giving up sooner would lose the step's event.
 */
const IN_FLIGHT_WAIT_MS = 60_000;

export async function ciRequest(
  options: CiHttpOptions,
  method: string,
  path: string,
  body: unknown,
  idempotencyKey: string | undefined,
): Promise<CiHttpResult> {
  const attempts = options.attempts ?? 5;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  const url = `${options.baseUrl.replace(/\/+$/, '')}${path}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let lastProblem = '';
  let lastUnanswered = false;
  let waitedInFlightMs = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let retryAfter: string | null = null;
    try {
      const response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      lastUnanswered = false;
      const text = await response.text();
      const parsed = parseJson(text);
      if (response.ok) {
        // The server's stored answer to an earlier request with the same Idempotency-Key: an
        // earlier run's, unless this is a retry, whose own first attempt may be that request.
        const replayed = response.headers.get('idempotent-replayed') === 'true' && attempt === 1;
        return { ok: true, status: response.status, body: parsed, replayed };
      }
      // 409 for the same key still in flight: the first attempt is running; wait and ask again.
      const inFlight = response.status === 409 && isInFlight(parsed);
      if (!CI_RETRY_POLICY.retryable.has(response.status) && !inFlight) {
        return {
          ok: false,
          kind: 'rejected',
          status: response.status,
          body: parsed,
          message: withAuthHint(describe(response.status, parsed), response.status, options),
        };
      }
      lastProblem = describe(response.status, parsed);
      retryAfter = response.headers.get('retry-after');
      if (inFlight) {
        const delay = retryAfterMs(CI_RETRY_POLICY, retryAfter) ?? 1000;
        if (waitedInFlightMs + delay <= IN_FLIGHT_WAIT_MS) {
          options.onRetry?.(
            `storyflow: ${lastProblem}; asking again in ${seconds(delay)}s ` +
              `(${seconds(waitedInFlightMs)}s of ${seconds(IN_FLIGHT_WAIT_MS)}s waited for it)`,
          );
          waitedInFlightMs += delay;
          await sleep(delay);
          attempt -= 1; // not an attempt of its own: the earlier one is still running
          continue;
        }
      }
    } catch (error) {
      lastUnanswered = (error as Error | null)?.name === 'TimeoutError';
      lastProblem = lastUnanswered
        ? `the server did not answer within ${seconds(timeoutMs)}s (it may be stuck: check its /readyz and its log)`
        : networkMessage(error);
    }
    if (attempt < attempts) {
      const delay = retryDelayMs(CI_RETRY_POLICY, attempt, retryAfter);
      options.onRetry?.(
        `storyflow: ${lastProblem}; retrying in ${seconds(delay)}s (attempt ${attempt + 1}/${attempts})`,
      );
      await sleep(delay);
    }
  }
  const message = `${lastProblem} (after ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'})`;
  return lastUnanswered
    ? { ok: false, kind: 'unanswered', message }
    : { ok: false, kind: 'unreachable', message };
}

/** Milliseconds as seconds with at most one decimal, for the job log. */
function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}

function isInFlight(body: unknown): boolean {
  const type = (body as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.includes('in-flight');
}

function describe(status: number, body: unknown): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  return `the server answered ${status}${typeof detail === 'string' ? `: ${detail}` : ''}`;
}

/** Whether a 401 or 403 was a bad credential or a valid one without the right (RFC 6750). */
function withAuthHint(message: string, status: number, options: CiHttpOptions): string {
  const hint = describeAuthRefusal(
    status,
    Boolean(options.token),
    'set STORYFLOW_TOKEN, --token or STORYFLOW_OIDC_AUDIENCE',
  );
  return hint === undefined ? message : `${message} (${hint})`;
}

function networkMessage(error: unknown): string {
  const cause = (
    error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }
  ).cause;
  const reason =
    cause?.code ??
    cause?.errors?.[0]?.code ??
    cause?.message ??
    (error as Error).message ??
    'network error';
  return `cannot reach the server (${reason})`;
}
