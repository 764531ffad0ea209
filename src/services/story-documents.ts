// Story documents as the service handles them: parsed and checked against the workflow (fields,
// status, manual transitions), mapped to stored records, and split from a story's JSON form.
import type { JsonValue } from '../domain/story/json-value.js';
import { parseStoryDocument, type StoryDocument } from '../domain/story/story-document.js';
import {
  allowedTransitions,
  canTransition,
  isKnownStatus,
  type Workflow,
} from '../domain/story/workflow.js';
import { ProblemError, type ProblemFieldError } from '../errors/problem-error.js';
import type { StoryRecord } from '../storage/store.js';
import { documentOrProblem, lineOfKey, validationProblem } from './story-problems.js';

/** Fields of a story's JSON form that are not frontmatter. */
const RESERVED_JSON_KEYS = new Set(['body', 'version']);

/** Parses and validates a document against the story rules and the workflow. */
export function parseStory(workflow: Workflow, text: string): StoryDocument {
  return checkWorkflowStatus(
    workflow,
    documentOrProblem(() => parseStoryDocument(text)),
  );
}

/** A parsed document whose status is one of the workflow's (answered as is), or a 400. */
export function checkWorkflowStatus(workflow: Workflow, document: StoryDocument): StoryDocument {
  const { text } = document;
  const status = document.fields.status;
  if (typeof status === 'string' && !isKnownStatus(workflow, status)) {
    const line = lineOfKey(text, 'status');
    throw validationProblem(
      [
        {
          field: 'status',
          message: `"${status}" is not a status of the workflow (${workflow.statuses.join(', ')})`,
          ...(line === undefined ? {} : { line }),
        },
      ],
      'invalid-document',
    );
  }
  return document;
}

/** Parses documents for an import; every bad one (and every repeated id) is named in one 400. */
export function parseImportDocuments(workflow: Workflow, texts: string[]): StoryDocument[] {
  const issues: ProblemFieldError[] = [];
  const documents: StoryDocument[] = [];
  const seen = new Map<string, number>();
  texts.forEach((text, index) => {
    try {
      const document = parseStory(workflow, text);
      const id = document.fields.id as string;
      const earlier = seen.get(id);
      if (earlier !== undefined) {
        issues.push({
          document: index,
          field: 'id',
          message: `story ${id} also appears in document ${earlier}`,
        });
      }
      seen.set(id, index);
      documents.push(document);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      const fieldErrors = (error.extensions.errors as ProblemFieldError[] | undefined) ?? [];
      for (const issue of fieldErrors) issues.push({ ...issue, document: index });
    }
  });
  if (issues.length > 0) throw validationProblem(issues, 'invalid-document');
  return documents;
}

export function toStoryRecord(
  workflow: Workflow,
  document: StoryDocument,
  version: number,
  createdAt: string,
  updatedAt: string,
): StoryRecord {
  const { fields } = document;
  return {
    id: fields.id as string,
    document: document.text,
    version,
    title: fields.title as string,
    status: typeof fields.status === 'string' ? fields.status : workflow.initial,
    epic: typeof fields.epic === 'string' ? fields.epic : null,
    branchName: typeof fields.branch_name === 'string' ? fields.branch_name : null,
    labels: Array.isArray(fields.labels) ? (fields.labels as string[]) : [],
    createdAt,
    updatedAt,
  };
}

/** Splits a story's JSON form (or a patch of it) into frontmatter fields, body and version. */
export function splitStoryJson(input: Record<string, unknown>): {
  fields: Record<string, JsonValue | undefined>;
  body: string | undefined;
  version: number | undefined;
} {
  const fields: Record<string, JsonValue | undefined> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!RESERVED_JSON_KEYS.has(key)) fields[key] = value as JsonValue;
  }
  const body = input.body;
  if (body !== undefined && typeof body !== 'string') {
    throw validationProblem([{ field: 'body', message: 'must be a string' }]);
  }
  const version = input.version;
  if (version !== undefined && !Number.isInteger(version)) {
    throw validationProblem([{ field: 'version', message: 'must be an integer' }]);
  }
  return { fields, body, version: version as number | undefined };
}

/**
 * A patch of story `id` split as splitStoryJson does, refused when it changes the id, when its
 * status is not a string, or when its version disagrees with the expected one (If-Match).
 */
export function splitStoryPatch(
  id: string,
  patch: Record<string, unknown>,
  expectedVersion: number | undefined,
): ReturnType<typeof splitStoryJson> & { nextStatus: string | undefined } {
  const { fields, body, version } = splitStoryJson(patch);
  if (expectedVersion !== undefined && version !== undefined && version !== expectedVersion) {
    // Two preconditions that cannot both hold: a client mistake, not a stale version (412).
    throw validationProblem([
      {
        field: 'version',
        message: `${version} disagrees with the expected version ${expectedVersion} (If-Match or the operation's version)`,
      },
    ]);
  }
  if (fields.id !== undefined && fields.id !== id) {
    throw validationProblem([{ field: 'id', message: 'a story id cannot be changed' }]);
  }
  delete fields.id;
  const nextStatus = fields.status;
  if (nextStatus !== undefined && typeof nextStatus !== 'string') {
    throw validationProblem([{ field: 'status', message: 'must be a string' }]);
  }
  return { fields, body, version, nextStatus };
}

/**
 * A manual move from `from` to `to` the workflow allows, or a 400 naming `field` (an unknown
 * status) or a 409 `transition-not-allowed` listing the allowed moves.
 */
export function checkTransition(workflow: Workflow, from: string, to: string, field: string): void {
  if (!isKnownStatus(workflow, to)) {
    throw validationProblem([
      {
        field,
        message: `"${to}" is not a status of the workflow (${workflow.statuses.join(', ')})`,
      },
    ]);
  }
  if (!canTransition(workflow, from, to)) {
    const allowed = allowedTransitions(workflow, from);
    throw new ProblemError(
      'transition-not-allowed',
      `Cannot move a story from ${from} to ${to}; allowed: ${allowed.join(', ') || 'none'}`,
      { from, to, allowed },
    );
  }
}
