// POST /batch: up to 1,000 story operations in one request. The whole batch is checked before
// anything is written; then either one transaction runs every operation (atomic: all or nothing)
// or each operation runs in its own transaction (non-atomic: each answers for itself). Every
// change is audited with the batch's id.
import type { AuditContext } from '../domain/audit/audit-context.js';
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
import type { StoryLink } from '../storage/link-repository.js';
import type { Repositories, Store } from '../storage/store.js';
import { collectingAudit, prefetchingStories } from './batch-unit-of-work.js';
import { type LinkInput, LinkService } from './link-service.js';
import { retryLostRaces } from './retry-lost-races.js';
import { parseStory, splitStoryJson } from './story-documents.js';
import { documentOrProblem, validationProblem } from './story-problems.js';
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
    try {
      return await retryLostRaces(
        this.store,
        async (transaction) => {
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
        },
        'retry the batch',
      );
    } catch (error) {
      if (error instanceof OperationFailed) throw rolledBack(error);
      throw error;
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
    try {
      return await retryLostRaces(
        this.store,
        (tx) => this.apply(tx, operation, context),
        'retry it',
      );
    } catch (error) {
      if (error instanceof ProblemError) {
        return { status: error.status, problem: problemBody(error) };
      }
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

/** Operations that only read and write stories (and audit): their writes can wait for a flush. */
const DEFERRING_OPS: ReadonlySet<BatchOperation['op']> = new Set([
  'update',
  'transition',
  'import',
]);

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
