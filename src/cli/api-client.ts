// A small HTTP client for the CLI: bearer auth, problem+json errors, and retries on
// unreachable servers, 429, 502, 503 and 504 (honouring Retry-After; see retry-policy.ts).
import { describeAuthRefusal } from './describe-auth-refusal.js';
import { CliError, EXIT } from './exit-codes.js';
import { backoffMs, CLI_RETRY_POLICY, retryDelayMs } from './retry-policy.js';

export interface ApiClientOptions {
  baseUrl: string;
  token?: string;
  /** Attempts for requests safe to repeat (default 3). */
  attempts?: number;
  /** Sleeps between attempts; injected so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The exact bytes of the body (text decoding would drop a byte-order mark). */
  bytes: Buffer;
}

export interface ProblemLike {
  title?: string;
  detail?: string;
  status?: number;
  errors?: { field: string; message: string; line?: number; document?: number }[];
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly attempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.attempts = options.attempts ?? 3;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Sends a request and returns the response; a non-2xx answer becomes a CliError (exit 1). */
  async request(
    method: string,
    path: string,
    body?: { json?: unknown; markdown?: string },
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let payload: string | undefined;
    if (body?.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body?.markdown !== undefined) {
      headers['content-type'] = 'text/markdown; charset=utf-8';
      payload = body.markdown;
    }
    const url = `${this.baseUrl}${path}`;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body: payload });
      } catch (error) {
        if (attempt < this.attempts) {
          await this.sleep(backoffMs(CLI_RETRY_POLICY, attempt));
          continue;
        }
        throw new CliError(
          EXIT.unreachable,
          `cannot reach the storyflow server at ${this.baseUrl}: ${describeNetworkError(error)}` +
            ' (set STORYFLOW_URL or --url)',
        );
      }
      const bytes = Buffer.from(await response.arrayBuffer());
      const text = bytes.toString('utf8');
      if (CLI_RETRY_POLICY.retryable.has(response.status) && attempt < this.attempts) {
        await this.sleep(
          retryDelayMs(CLI_RETRY_POLICY, attempt, response.headers.get('retry-after')),
        );
        continue;
      }
      if (response.status >= 400) {
        const hint = describeAuthRefusal(response.status, Boolean(this.options.token));
        throw new ApiError(
          formatProblem(method, path, response.status, text) +
            (hint === undefined ? '' : `\n  ${hint}`),
          response.status,
          parseProblem(text),
        );
      }
      return { status: response.status, headers: response.headers, text, bytes };
    }
  }

  async json<T>(
    method: string,
    path: string,
    body?: { json?: unknown; markdown?: string },
  ): Promise<T> {
    const response = await this.request(method, path, body);
    return JSON.parse(response.text) as T;
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** The server answered with an error status (exit code 1). */
export class ApiError extends CliError {
  readonly status: number;
  readonly problem: ProblemLike | undefined;

  constructor(message: string, status: number, problem: ProblemLike | undefined) {
    super(EXIT.serverFailure, message);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

function parseProblem(text: string): ProblemLike | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as ProblemLike) : undefined;
  } catch {
    return undefined;
  }
}

/** One readable message from a problem+json answer (or whatever the server sent). */
export function formatProblem(method: string, path: string, status: number, text: string): string {
  const problem = parseProblem(text);
  const head = `${method} ${path} failed with ${status}`;
  if (problem === undefined) return `${head}: ${text.slice(0, 500)}`;
  const lines = [`${head}: ${problem.detail ?? problem.title ?? 'error'}`];
  for (const error of problem.errors ?? []) {
    const where = [
      error.document === undefined ? undefined : `document ${error.document}`,
      error.line === undefined ? undefined : `line ${error.line}`,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`  - ${where ? `${where}: ` : ''}${error.field}: ${error.message}`);
  }
  return lines.join('\n');
}
