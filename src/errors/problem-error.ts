// Every error storyflow answers with is declared once here, with a stable type URI,
// a title and an HTTP status; the HTTP layer turns a ProblemError into problem+json.

export const PROBLEM_TYPES = {
  'bad-request': { status: 400, title: 'Bad request' },
  validation: { status: 400, title: 'Invalid input' },
  'invalid-document': { status: 400, title: 'Invalid story document' },
  unauthorized: { status: 401, title: 'Missing or invalid credentials' },
  forbidden: { status: 403, title: 'Not allowed' },
  'not-found': { status: 404, title: 'Not found' },
  'story-not-found': { status: 404, title: 'Story not found' },
  'repository-not-found': { status: 404, title: 'Repository not configured' },
  'conflict-not-found': { status: 404, title: 'Repository conflict not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'not-acceptable': { status: 406, title: 'Not acceptable' },
  'story-exists': { status: 409, title: 'Story already exists' },
  'transition-not-allowed': { status: 409, title: 'Transition not allowed by the workflow' },
  conflict: { status: 409, title: 'Conflict' },
  'repository-sync-running': { status: 409, title: 'A sync of this repository is running' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'batch-too-large': { status: 413, title: 'Batch too large' },
  'idempotency-key-in-flight': {
    status: 409,
    title: 'A request with this Idempotency-Key is still being processed',
  },
  'idempotency-key-reused': {
    status: 422,
    title: 'Idempotency-Key reused with another request',
  },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  'repository-sync-failed': { status: 502, title: 'Repository sync failed' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEM_TYPES;

/** The stable `type` URI of a problem code, e.g. `urn:storyflow:problem:story-not-found`. */
export function problemTypeUri(code: ProblemCode): string {
  return `urn:storyflow:problem:${code}`;
}

/** One field-level complaint inside a 400 problem. */
export interface ProblemFieldError {
  field: string;
  message: string;
  line?: number;
  /** Index of the document in a multi-document request. */
  document?: number;
}

/**
 * An error with a declared problem type.
 * @example throw new ProblemError('story-not-found', 'No story INT-003');
 */
export class ProblemError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    code: ProblemCode,
    detail: string,
    extensions: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.code = code;
    this.status = PROBLEM_TYPES[code].status;
    this.extensions = extensions;
    this.headers = headers;
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

export function problemBody(error: ProblemError, instance?: string): ProblemBody {
  return {
    type: problemTypeUri(error.code),
    title: PROBLEM_TYPES[error.code].title,
    status: error.status,
    detail: error.message,
    ...(instance === undefined ? {} : { instance }),
    ...error.extensions,
  };
}
