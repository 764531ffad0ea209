// Story use cases: joins the story domain (documents, workflow) with storage.
import type { Clock } from '../domain/clock.js';
import {
  type JsonValue,
  parseStoryDocument,
  renderStoryDocument,
  type StoryDocument,
  updateStoryDocument,
} from '../domain/story/story-document.js';
import { StoryDocumentError } from '../domain/story/story-document-error.js';
import {
  allowedTransitions,
  canTransition,
  isKnownStatus,
  type Workflow,
} from '../domain/story/workflow.js';
import { ProblemError, type ProblemFieldError } from '../errors/problem-error.js';
import type { Repositories, Store, StoryRecord } from '../storage/store.js';
import { decodeCursor, encodeCursor } from './story-cursor.js';

/** A story's JSON form: its frontmatter fields at the top level plus `body` and `version`. */
export type StoryJson = Record<string, JsonValue> & {
  id: string;
  title: string;
  status: string;
  body: string;
  version: number;
};

export interface StoryPage {
  items: StoryJson[];
  nextCursor: string | null;
}

export interface ListStoriesInput {
  status?: string;
  epic?: string;
  label?: string;
  q?: string;
  cursor?: string;
  limit?: number;
}

export type ImportAction = 'created' | 'updated' | 'unchanged';

export interface ImportResult {
  id: string;
  action: ImportAction;
  version: number;
}

/** Fields of a story's JSON form that are not frontmatter. */
const RESERVED_JSON_KEYS = new Set(['body', 'version']);
const MAX_WRITE_ATTEMPTS = 20;

export class StoryService {
  constructor(
    private readonly store: Store,
    private readonly workflow: Workflow,
    private readonly clock: Clock,
  ) {}

  async list(input: ListStoriesInput): Promise<StoryPage> {
    const limit = input.limit ?? 50;
    const records = await this.store.stories.listStories({
      status: input.status,
      epic: input.epic,
      label: input.label,
      q: input.q,
      afterId: input.cursor === undefined ? undefined : decodeCursor(input.cursor),
      limit: limit + 1,
    });
    const page = records.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((record) => this.toJson(record)),
      nextCursor: records.length > limit && last !== undefined ? encodeCursor(last.id) : null,
    };
  }

  async get(id: string): Promise<StoryRecord> {
    const record = await this.store.stories.getStory(id);
    if (record === undefined) throw new ProblemError('story-not-found', `No story ${id}`);
    return record;
  }

  /** Creates a story from its JSON form; the document is rendered in the canonical layout. */
  async create(input: Record<string, unknown>): Promise<StoryRecord> {
    const { fields, body } = splitJson(input);
    if (fields.status === undefined) fields.status = this.workflow.initial;
    const text = documentOrProblem(() =>
      renderStoryDocument(fields as Record<string, JsonValue>, body ?? ''),
    );
    const document = this.parse(text);
    const now = this.clock.now().toISOString();
    const record = this.toRecord(document, 1, now, now);
    if (!(await this.store.stories.insertStory(record))) {
      throw new ProblemError('story-exists', `Story ${record.id} already exists`, {
        id: record.id,
      });
    }
    return record;
  }

  /**
   * Applies a partial change to fields and/or body. Without `expectedVersion` the change is
   * re-applied on the latest version if another writer got there first (no write is lost);
   * with it, a stale version answers 412 and changes nothing.
   */
  async update(
    id: string,
    patch: Record<string, unknown>,
    expectedVersion?: number,
  ): Promise<StoryRecord> {
    const { fields, body, version } = splitJson(patch);
    if (fields.id !== undefined && fields.id !== id) {
      throw validationProblem([{ field: 'id', message: 'a story id cannot be changed' }]);
    }
    delete fields.id;
    const expected = expectedVersion ?? version;
    return this.writeWithRetry(id, expected, (current) => {
      const currentStatus = this.statusOf(current);
      const nextStatus = fields.status;
      if (nextStatus !== undefined && typeof nextStatus !== 'string') {
        throw validationProblem([{ field: 'status', message: 'must be a string' }]);
      }
      if (nextStatus !== undefined && nextStatus !== currentStatus) {
        this.assertTransition(currentStatus, nextStatus, 'status');
      }
      return documentOrProblem(() =>
        updateStoryDocument(current.document, {
          fields,
          ...(body === undefined ? {} : { body }),
        }),
      );
    });
  }

  /** Moves a story to another status along the workflow; moving to its current status is a no-op. */
  async transition(id: string, to: string, expectedVersion?: number): Promise<StoryRecord> {
    return this.writeWithRetry(id, expectedVersion, (current) => {
      const from = this.statusOf(current);
      if (from === to) return current.document;
      this.assertTransition(from, to, 'to');
      return documentOrProblem(() =>
        updateStoryDocument(current.document, { fields: { status: to } }),
      );
    });
  }

  async delete(id: string, expectedVersion?: number): Promise<void> {
    if (await this.store.stories.deleteStory(id, expectedVersion)) return;
    const current = await this.get(id);
    throw staleVersion(id, expectedVersion ?? current.version, current.version);
  }

  /**
   * Imports documents in one transaction: each is created, or replaces the stored document
   * when its bytes differ. A bad document rejects the whole import and names its index.
   */
  async importDocuments(texts: string[]): Promise<ImportResult[]> {
    const issues: ProblemFieldError[] = [];
    const documents: StoryDocument[] = [];
    const seen = new Map<string, number>();
    texts.forEach((text, index) => {
      try {
        const document = this.parse(text);
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

    const now = this.clock.now().toISOString();
    return this.store.transaction(async (tx) => {
      const results: ImportResult[] = [];
      for (const document of documents) results.push(await this.importOne(tx, document, now));
      return results;
    });
  }

  /** The JSON form of a stored story. */
  toJson(record: StoryRecord): StoryJson {
    const { fields, body } = parseStoryDocument(record.document);
    return {
      ...fields,
      id: record.id,
      status: fields.status ?? record.status,
      body,
      version: record.version,
    } as StoryJson;
  }

  private async importOne(
    tx: Repositories,
    document: StoryDocument,
    now: string,
  ): Promise<ImportResult> {
    const id = document.fields.id as string;
    const existing = await tx.stories.getStory(id);
    if (existing === undefined) {
      await insertOrConflict(tx, this.toRecord(document, 1, now, now));
      return { id, action: 'created', version: 1 };
    }
    if (existing.document === document.text) {
      return { id, action: 'unchanged', version: existing.version };
    }
    const next = this.toRecord(document, existing.version + 1, existing.createdAt, now);
    if (!(await tx.stories.updateStory(next, existing.version))) {
      throw new ProblemError('conflict', `Story ${id} changed during the import; retry it`);
    }
    return { id, action: 'updated', version: next.version };
  }

  private async writeWithRetry(
    id: string,
    expectedVersion: number | undefined,
    change: (current: StoryRecord) => string,
  ): Promise<StoryRecord> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const current = await this.get(id);
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw staleVersion(id, expectedVersion, current.version);
      }
      const text = change(current);
      if (text === current.document) return current;
      const next = this.toRecord(
        this.parse(text),
        current.version + 1,
        current.createdAt,
        this.clock.now().toISOString(),
      );
      if (await this.store.stories.updateStory(next, current.version)) return next;
      if (expectedVersion !== undefined) {
        const latest = await this.get(id);
        throw staleVersion(id, expectedVersion, latest.version);
      }
    }
    throw new ProblemError('conflict', `Story ${id} is being changed by many writers; retry`);
  }

  private assertTransition(from: string, to: string, field: string): void {
    if (!isKnownStatus(this.workflow, to)) {
      throw validationProblem([
        {
          field,
          message: `"${to}" is not a status of the workflow (${this.workflow.statuses.join(', ')})`,
        },
      ]);
    }
    if (!canTransition(this.workflow, from, to)) {
      const allowed = allowedTransitions(this.workflow, from);
      throw new ProblemError(
        'transition-not-allowed',
        `Cannot move a story from ${from} to ${to}; allowed: ${allowed.join(', ') || 'none'}`,
        { from, to, allowed },
      );
    }
  }

  private statusOf(record: StoryRecord): string {
    return record.status;
  }

  /** Parses and validates a document against the story rules and this workflow. */
  private parse(text: string): StoryDocument {
    const document = documentOrProblem(() => parseStoryDocument(text));
    const status = document.fields.status;
    if (typeof status === 'string' && !isKnownStatus(this.workflow, status)) {
      const line = lineOfKey(text, 'status');
      throw validationProblem(
        [
          {
            field: 'status',
            message: `"${status}" is not a status of the workflow (${this.workflow.statuses.join(', ')})`,
            ...(line === undefined ? {} : { line }),
          },
        ],
        'invalid-document',
      );
    }
    return document;
  }

  private toRecord(
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
      status: typeof fields.status === 'string' ? fields.status : this.workflow.initial,
      epic: typeof fields.epic === 'string' ? fields.epic : null,
      labels: Array.isArray(fields.labels) ? (fields.labels as string[]) : [],
      createdAt,
      updatedAt,
    };
  }
}

async function insertOrConflict(tx: Repositories, record: StoryRecord): Promise<void> {
  if (!(await tx.stories.insertStory(record))) {
    throw new ProblemError(
      'conflict',
      `Story ${record.id} was created during the import; retry it`,
    );
  }
}

/** Runs a document function, turning StoryDocumentError into a 400 naming line and field. */
function documentOrProblem<T>(fn: () => T): T {
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

function splitJson(input: Record<string, unknown>): {
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

function validationProblem(
  errors: ProblemFieldError[],
  code: 'validation' | 'invalid-document' = 'validation',
): ProblemError {
  const first = errors[0];
  const where = first === undefined ? '' : describe(first);
  return new ProblemError(
    code,
    `${where}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
    {
      errors,
    },
  );
}

function describe(error: ProblemFieldError): string {
  const document = error.document === undefined ? '' : `document ${error.document}, `;
  const line = error.line === undefined ? '' : `line ${error.line}, `;
  return `${document}${line}${error.field}: ${error.message}`;
}

function staleVersion(id: string, expected: number, current: number): ProblemError {
  return new ProblemError(
    'precondition-failed',
    `Story ${id} is at version ${current}, not ${expected}`,
    { currentVersion: current },
    { etag: `"${current}"` },
  );
}

/** 1-based line of a top-level frontmatter key, for error messages. */
function lineOfKey(text: string, key: string): number | undefined {
  const lines = text.split('\n');
  const index = lines.findIndex((line) => line.startsWith(`${key}:`));
  return index === -1 ? undefined : index + 1;
}
