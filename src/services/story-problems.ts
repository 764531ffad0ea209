// The problems the story use cases answer with, built in one place.
import { StoryDocumentError } from '../domain/story/story-document-error.js';
import { ProblemError, type ProblemFieldError } from '../errors/problem-error.js';

/** Runs a document function, turning StoryDocumentError into a 400 naming line and field. */
export function documentOrProblem<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof StoryDocumentError)) throw error;
    throw validationProblem(
      error.issues.map((issue) => ({
        field: issue.field ?? '(document)',
        message: issue.message,
        ...(issue.line === undefined ? {} : { line: issue.line }),
      })),
      'invalid-document',
    );
  }
}

export function validationProblem(
  errors: ProblemFieldError[],
  code: 'validation' | 'invalid-document' = 'validation',
): ProblemError {
  const first = errors[0];
  const where = first === undefined ? '' : describe(first);
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new ProblemError(code, `${where}${more}`, { errors });
}

function describe(error: ProblemFieldError): string {
  const document = error.document === undefined ? '' : `document ${error.document}, `;
  const line = error.line === undefined ? '' : `line ${error.line}, `;
  return `${document}${line}${error.field}: ${error.message}`;
}

export function staleVersion(id: string, expected: number, current: number): ProblemError {
  return new ProblemError(
    'precondition-failed',
    `Story ${id} is at version ${current}, not ${expected}`,
    { currentVersion: current },
    { etag: `"${current}"` },
  );
}

export function storyNotFound(id: string): ProblemError {
  return new ProblemError('story-not-found', `No story ${id}`, { id });
}

/** 1-based line of a top-level frontmatter key, for error messages. */
export function lineOfKey(text: string, key: string): number | undefined {
  const lines = text.split('\n');
  const index = lines.findIndex((line) => line.startsWith(`${key}:`));
  return index === -1 ? undefined : index + 1;
}

/**
 * Another writer changed the story between our read and our write, and the caller did not pin a
 * version: the whole change is retried on the latest version.
 */
export class LostWriteRace extends Error {
  constructor(id: string) {
    super(`story ${id} changed concurrently`);
    this.name = 'LostWriteRace';
  }
}
