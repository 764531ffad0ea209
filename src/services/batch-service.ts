// POST /batch: up to 1,000 story operations in one request. The whole batch is checked before
// anything is written; then either one transaction runs every operation (atomic: all or nothing)
// or each operation runs in its own transaction (non-atomic: each answers for itself). Every
// change is audited with the batch's id.
import type { AuditContext } from '../domain/audit/audit-context.js';
import type { AuditEntryInput } from '../domain/audit/audit-entry.js';
import type { Principal } from '../domain/auth/principal.js';
import type { Clock } from '../domain/clock.js';
import type { IdGenerator } from '../domain/ids.js';
import type { JsonValue } from '../domain/story/json-value.js';
import { renderStoryDocument, type StoryDocument } from '../domain/story/story-document.js';
import { isKnownStatus, type Workflow } from '../domain/story/workflow.js';
import {
  type ProblemBody,
  ProblemError,
  type ProblemFieldError,
  problemBody,
} from '../errors/problem-error.js';
import { storageUnavailableProblem } from '../errors/storage-unavailable-problem.js';
import type { AuditRepository } from '../storage/audit-repository.js';
import type { StoryLink } from '../storage/link-repository.js';
import type {
  Repositories,
  Store,
  StoryRecord,
  StoryRepository,
  StoryWrite,
} from '../storage/store.js';
import { type LinkInput, LinkService } from './link-service.js';
import { parseStory, splitStoryJson } from './story-documents.js';
import { documentOrProblem, LostWriteRace, validationProblem } from './story-problems.js';
import type { ImportAction, StoryJson, StoryService } from './story-service.js';

/** One operation of a batch, as DESIGN §6 spells them. */
export type BatchOperation =
  | { op: 'create'; story: Record<string, unknown> }
  | { op: 'update'; id: string; changes: Record<string, unknown>; version?: number }
  | { op: 'transition'; id: string; to: string; reason?: string; version?: number }
  | { op: 'link'; id: string; link: LinkInput }
  | { op: 'delete'; id: string; version?: number }
  | { op: 'import'; document: string };

/** What one operation answered: its status and story, or its problem. */
export interface BatchResult {
  status: number;
  story?: StoryJson;
  /** delete: the story that was deleted. */
  id?: string;
  /** import: what happened to the story. */
  action?: ImportAction;
  link?: StoryLink;
  problem?: ProblemBody;
}

export interface BatchAnswer {
  batch: string;
  atomic: boolean;
  results: BatchResult[];
}

/** Attempts at a batch (atomic) or an operation (non-atomic) that lost a write race. */
const MAX_ATTEMPTS = 20;

/** The audit attribution of a batch, and the credential its link operations are checked for. */
type BatchContext = AuditContext & { principal: Principal | undefined };

type Prepared =
  | Exclude<BatchOperation, { op: 'import' }>
  | { op: 'import'; document: string; parsed: StoryDocument };

/** An operation of an atomic batch failed: the transaction rolls back. */
class OperationFailed extends Error {
  constructor(
    readonly index: number,
    readonly operation: Prepared,
    readonly problem: ProblemError,
  ) {
    super(problem.message);
  }
}

export class BatchService {
  constructor(
    private readonly store: Store,
    private readonly stories: StoryService,
    private readonly workflow: Workflow,
    clock: Clock,
    private readonly ids: IdGenerator,
    /** Told about an unexpected error of one operation of a non-atomic batch (it answers 500). */
    private readonly onError: (error: unknown, index: number) => void = () => {},
    /** The link operation, shared with POST /stories/{id}/links. */
    private readonly links: LinkService = new LinkService(store, clock),
  ) {}

  /**
   * Runs a batch for `principal` (undefined: no credential limits it, as in tests). `operations`
   * holds undefined where an operation failed its schema; `schemaErrors` are those failures: they
   * are reported with the problems found here, in one 400, before anything is written.
   */
  async run(
    operations: (BatchOperation | undefined)[],
    atomic: boolean,
    context: AuditContext,
    schemaErrors: ProblemFieldError[] = [],
    principal?: Principal,
  ): Promise<BatchAnswer> {
    const prepared = this.prepare(operations, schemaErrors);
    const batch = this.ids.next('bat');
    const batchContext: BatchContext = { ...context, batchId: batch, principal };
    const results = atomic
      ? await this.runAtomic(prepared, batchContext)
      : await this.runEach(prepared, batchContext);
    return { batch, atomic, results };
  }

  /**
   * Everything that can be known without reading the database: field rules, documents, known
   * statuses, and story ids created twice. One 400 lists every problem, each naming its operation.
   */
  private prepare(
    operations: (BatchOperation | undefined)[],
    schemaErrors: ProblemFieldError[],
  ): Prepared[] {
    const errors: ProblemFieldError[] = [...schemaErrors];
    const creators = new Map<string, number>();
    const created = (id: unknown, index: number, field: string) => {
      if (typeof id !== 'string') return;
      const earlier = creators.get(id);
      if (earlier !== undefined) {
        errors.push({
          field: `operations[${index}].${field}`,
          message: `story ${id} is also created by operations[${earlier}]; a batch creates a story once`,
        });
      } else {
        creators.set(id, index);
      }
    };
    const collect = (index: number, prefix: string, fn: () => void) => {
      try {
        fn();
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        const issues = (error.extensions.errors as ProblemFieldError[] | undefined) ?? [
          { field: '', message: error.message },
        ];
        for (const issue of issues) {
          const { document: _document, ...rest } = issue;
          const field = issue.field === '' ? prefix : `${prefix}.${issue.field}`;
          errors.push({ ...rest, field: `operations[${index}]${field}` });
        }
      }
    };

    const prepareOne = (operation: BatchOperation, index: number): Prepared => {
      switch (operation.op) {
        case 'create':
          collect(index, '.story', () => this.checkNewStory(operation.story));
          created(operation.story.id, index, 'story.id');
          return operation;
        case 'update':
          collect(index, '.changes', () => this.checkChanges(operation.id, operation.changes));
          return operation;
        case 'transition':
          if (!isKnownStatus(this.workflow, operation.to)) {
            errors.push({
              field: `operations[${index}].to`,
              message: `"${operation.to}" is not a status of the workflow (${this.workflow.statuses.join(', ')})`,
            });
          }
          return operation;
        case 'import': {
          let parsed: StoryDocument | undefined;
          collect(index, '.document', () => {
            parsed = parseStory(this.workflow, operation.document);
          });
          // A document that failed to parse is reported: the batch stops before running.
          if (parsed === undefined)
            return { ...operation, parsed: { text: '', fields: {}, body: '' } };
          created(parsed.fields.id, index, 'document.id');
          return { ...operation, parsed };
        }
        default:
          return operation;
      }
    };

    const prepared: Prepared[] = [];
    operations.forEach((operation, index) => {
      if (operation !== undefined) prepared.push(prepareOne(operation, index));
    });
    if (errors.length > 0) throw validationProblem(errors.sort(byOperationIndex));
    return prepared;
  }

  /** What createIn would refuse: the document that the story's JSON form renders to. */
  private checkNewStory(story: Record<string, unknown>): void {
    const { fields, body } = splitStoryJson(story);
    if (fields.status === undefined) fields.status = this.workflow.initial;
    const text = documentOrProblem(() =>
      renderStoryDocument(fields as Record<string, JsonValue>, body ?? ''),
    );
    parseStory(this.workflow, text);
  }

  /** What updateIn would refuse before reading the story. */
  private checkChanges(id: string, changes: Record<string, unknown>): void {
    const { fields } = splitStoryJson(changes);
    const issues: ProblemFieldError[] = [];
    if (fields.id !== undefined && fields.id !== id) {
      issues.push({ field: 'id', message: 'a story id cannot be changed' });
    }
    const status = fields.status;
    if (
      status !== undefined &&
      (typeof status !== 'string' || !isKnownStatus(this.workflow, status))
    ) {
      issues.push({
        field: 'status',
        message: `${JSON.stringify(status)} is not a status of the workflow (${this.workflow.statuses.join(', ')})`,
      });
    }
    if (issues.length > 0) throw validationProblem(issues);
  }

  /** One transaction for the whole batch; the first failing operation rolls everything back. */
  private async runAtomic(operations: Prepared[], context: BatchContext): Promise<BatchResult[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.transaction(async (transaction) => {
          const { tx: collecting, flush: flushAudit } = collectingAudit(transaction);
          const { tx, flush: flushStories } = await prefetchingStories(
            collecting,
            storyIdsOf(operations),
          );
          const results: BatchResult[] = [];
          for (const [index, operation] of operations.entries()) {
            // Deferred story writes reach the database before anything else is written.
            if (!DEFERRING_OPS.has(operation.op)) await flushStories();
            try {
              results.push(await this.apply(tx, operation, context));
            } catch (error) {
              if (error instanceof ProblemError) throw new OperationFailed(index, operation, error);
              throw error;
            }
          }
          await flushStories();
          await flushAudit();
          return results;
        });
      } catch (error) {
        if (error instanceof LostWriteRace && attempt < MAX_ATTEMPTS) continue;
        if (error instanceof OperationFailed) throw rolledBack(error);
        if (error instanceof LostWriteRace) {
          throw new ProblemError('conflict', `${error.message} by many writers; retry the batch`);
        }
        throw error;
      }
    }
  }

  /** Each operation in its own transaction: a failure answers for that operation only. */
  private async runEach(operations: Prepared[], context: BatchContext): Promise<BatchResult[]> {
    const results: BatchResult[] = [];
    for (const [index, operation] of operations.entries()) {
      results.push(await this.runOne(index, operation, context));
    }
    return results;
  }

  private async runOne(
    index: number,
    operation: Prepared,
    context: BatchContext,
  ): Promise<BatchResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.transaction((tx) => this.apply(tx, operation, context));
      } catch (error) {
        if (error instanceof LostWriteRace && attempt < MAX_ATTEMPTS) continue;
        const problem =
          error instanceof ProblemError
            ? error
            : error instanceof LostWriteRace
              ? new ProblemError('conflict', `${error.message} by many writers; retry it`)
              : undefined;
        if (problem !== undefined) return { status: problem.status, problem: problemBody(problem) };
        const unavailable = storageUnavailableProblem(error);
        if (unavailable !== undefined) {
          return { status: unavailable.status, problem: problemBody(unavailable) };
        }
        this.onError(error, index);
        const internal = new ProblemError(
          'internal',
          'The server failed to apply this operation; it has been logged',
        );
        return { status: internal.status, problem: problemBody(internal) };
      }
    }
  }

  private async apply(
    tx: Repositories,
    operation: Prepared,
    batchContext: BatchContext,
  ): Promise<BatchResult> {
    const { principal, ...context } = batchContext;
    const stories = this.stories;
    switch (operation.op) {
      case 'create': {
        const record = await stories.createIn(tx, operation.story, context);
        return { status: 201, story: stories.toJson(record) };
      }
      case 'update': {
        const record = await stories.updateIn(
          tx,
          operation.id,
          operation.changes,
          operation.version,
          context,
        );
        return { status: 200, story: stories.toJson(record) };
      }
      case 'transition': {
        const record = await stories.transitionIn(
          tx,
          operation.id,
          operation.to,
          operation.version,
          operation.reason === undefined ? context : { ...context, reason: operation.reason },
        );
        return { status: 200, story: stories.toJson(record) };
      }
      case 'delete':
        await stories.deleteIn(tx, operation.id, operation.version, context);
        return { status: 204, id: operation.id };
      case 'import': {
        const [result] = await stories.importIn(tx, [operation.parsed], context);
        const record = result === undefined ? undefined : await tx.stories.getStory(result.id);
        if (result === undefined || record === undefined) {
          throw new Error('an imported story was not stored');
        }
        return {
          status: result.action === 'created' ? 201 : 200,
          action: result.action,
          story: stories.toJson(record),
        };
      }
      case 'link': {
        const [linked] = await this.links.linkIn(
          tx,
          principal,
          operation.id,
          [operation.link],
          context,
        );
        if (linked === undefined) throw new Error(`the link of ${operation.id} was not stored`);
        return { status: linked.created ? 201 : 200, link: linked.link };
      }
    }
  }
}

/**
 * The transaction's repositories with audit appends collected in order and appended in one go by
 * `flush` (same transaction, same chain order): a 1,000-operation batch chains its entries once
 * instead of locking and updating the chain head 1,000 times. `append` answers no stored entries
 * until then; the story operations do not use them.
 */
function collectingAudit(tx: Repositories): { tx: Repositories; flush: () => Promise<void> } {
  const pending: AuditEntryInput[] = [];
  const audit: AuditRepository = {
    append: async (entries) => {
      pending.push(...entries);
      return [];
    },
    list: (query) => tx.audit.list(query),
    scan: (afterSeq, limit) => tx.audit.scan(afterSeq, limit),
    head: () => tx.audit.head(),
  };
  return {
    tx: { ...tx, audit },
    flush: async () => {
      if (pending.length > 0) await tx.audit.append(pending.splice(0));
    },
  };
}

/** Operations that only read and write stories (and audit): their writes can wait for a flush. */
const DEFERRING_OPS: ReadonlySet<BatchOperation['op']> = new Set([
  'update',
  'transition',
  'import',
]);

/** Stories read per prefetch query. */
const PREFETCH_CHUNK = 500;

/** Every story id the operations name or create. */
function storyIdsOf(operations: Prepared[]): string[] {
  const ids = new Set<string>();
  for (const operation of operations) {
    if (operation.op === 'create') {
      if (typeof operation.story.id === 'string') ids.add(operation.story.id);
    } else if (operation.op === 'import') {
      const id = operation.parsed.fields.id;
      if (typeof id === 'string') ids.add(id);
    } else {
      ids.add(operation.id);
    }
  }
  return [...ids];
}

/**
 * The transaction's repositories with the batch's stories read up front in a few queries: each
 * operation's read (getStory) is then answered from memory. A versioned write of a story read
 * that way (updateStory) is kept in memory too, and `flush` writes all of them in a few
 * statements (`updateStories`), each at the version the batch read: a 1,000-operation batch
 * sends 2 UPDATEs instead of 1,000. Any other story method flushes first, so it sees every
 * earlier write. Another writer on PostgreSQL can still change a story meanwhile: the flush then
 * does not write it and throws LostWriteRace, and the batch is retried on what is stored then
 * (where a pinned version now answers 412, as it would have without the copy).
 */
async function prefetchingStories(
  tx: Repositories,
  ids: string[],
): Promise<{ tx: Repositories; flush: () => Promise<void> }> {
  const known = new Map<string, StoryRecord | null>();
  for (let start = 0; start < ids.length; start += PREFETCH_CHUNK) {
    const chunk = ids.slice(start, start + PREFETCH_CHUNK);
    for (const id of chunk) known.set(id, null);
    for (const record of await tx.stories.getStories(chunk)) known.set(record.id, record);
  }
  const inner = tx.stories;
  /** Deferred writes by story id: the latest record, at the version stored in the database. */
  const pending = new Map<string, StoryWrite>();
  const flush = async () => {
    if (pending.size === 0) return;
    const writes = [...pending.values()];
    pending.clear();
    const missed = await inner.updateStories(writes);
    if (missed.length > 0) {
      for (const id of missed) known.delete(id);
      throw new LostWriteRace(missed[0] as string);
    }
  };
  const flushing =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await flush();
      return method(...args);
    };
  const overrides: Partial<StoryRepository> = {
    getStory: async (id) => {
      const record = known.get(id);
      if (record === undefined) return inner.getStory(id);
      return record === null ? undefined : copyRecord(record);
    },
    insertStory: async (record) => {
      await flush();
      const inserted = await inner.insertStory(record);
      if (inserted) known.set(record.id, copyRecord(record));
      else known.delete(record.id);
      return inserted;
    },
    updateStory: async (record, expectedVersion, storedLabels) => {
      const read = known.get(record.id);
      if (read === undefined || read === null || read.version !== expectedVersion) {
        await flush();
        // What was read at expectedVersion lets the store skip rewriting unchanged labels.
        const labels =
          storedLabels ?? (read?.version === expectedVersion ? read.labels : undefined);
        const updated = await inner.updateStory(record, expectedVersion, labels);
        if (updated) known.set(record.id, copyRecord(record));
        else known.delete(record.id);
        return updated;
      }
      const earlier = pending.get(record.id);
      const next = copyRecord(record);
      pending.set(
        record.id,
        earlier === undefined
          ? { record: next, expectedVersion, stored: read }
          : { ...earlier, record: next },
      );
      known.set(record.id, next);
      return true;
    },
    deleteStory: async (id, expectedVersion) => {
      await flush();
      const deleted = await inner.deleteStory(id, expectedVersion);
      if (deleted) known.set(id, null);
      else known.delete(id);
      return deleted;
    },
    updateStories: async (writes) => {
      await flush();
      const missed = new Set(await inner.updateStories(writes));
      for (const { record } of writes) {
        if (missed.has(record.id)) known.delete(record.id);
        else known.set(record.id, copyRecord(record));
      }
      return [...missed];
    },
  };
  const stories = new Proxy(inner, {
    get(target, property) {
      const override = overrides[property as keyof StoryRepository];
      if (override !== undefined) return override;
      const value = Reflect.get(target, property, target) as unknown;
      // Every other method (listStories, getStories, …) sees the pending writes stored.
      return typeof value === 'function'
        ? flushing((...args: unknown[]) => value.apply(target, args) as Promise<unknown>)
        : value;
    },
  });
  return { tx: { ...tx, stories }, flush };
}

function copyRecord(record: StoryRecord): StoryRecord {
  return { ...record, labels: [...record.labels] };
}

/** Orders field errors by the index of their operation (`operations[12]…`), stably. */
function byOperationIndex(a: ProblemFieldError, b: ProblemFieldError): number {
  const index = (error: ProblemFieldError) =>
    Number(/^operations\[(\d+)\]/.exec(error.field)?.[1] ?? -1);
  return index(a) - index(b);
}

/** The problem of an atomic batch: the failing operation's, naming it; nothing was applied. */
function rolledBack(failure: OperationFailed): ProblemError {
  const { index, operation, problem } = failure;
  const target = 'id' in operation ? ` ${operation.id}` : '';
  return new ProblemError(
    problem.code,
    `operations[${index}] (${operation.op}${target}): ${problem.message}. The batch was rolled ` +
      'back; nothing was applied.',
    { ...problem.extensions, operation: index, op: operation.op, rolledBack: true },
  );
}
