// Story use cases: joins the story domain (documents, workflow) with storage.

import { type AuditContext, attributionOf } from '../domain/audit/audit-context.js';
import { type AuditEntryInput, auditEntry } from '../domain/audit/audit-entry.js';
import type { Clock } from '../domain/clock.js';
import { diffStory } from '../domain/story/diff-story.js';
import {
  DEFAULT_STORY_BOOKKEEPING,
  type StoryBookkeeping,
} from '../domain/story/story-bookkeeping.js';
import {
  editStoryDocument,
  type JsonValue,
  parseStoryDocument,
  renderStoryDocument,
  type StoryDocument,
  type StoryEdit,
} from '../domain/story/story-document.js';
import type { Workflow } from '../domain/story/workflow.js';
import { ProblemError } from '../errors/problem-error.js';
import type { Repositories, Store, StoryRecord } from '../storage/store.js';
import { retryLostRaces } from './retry-lost-races.js';
import { withBookkeeping } from './story-bookkeeping-edit.js';
import { decodeCursor, encodeCursor } from './story-cursor.js';
import {
  checkTransition,
  checkWorkflowStatus,
  parseImportDocuments,
  parseStory,
  splitStoryJson,
  splitStoryPatch,
  toStoryRecord,
} from './story-documents.js';
import { documentOrProblem, LostWriteRace, staleVersion, storyNotFound } from './story-problems.js';
import {
  type ImportResult,
  type ListStoriesInput,
  type StoryChange,
  type StoryJson,
  StoryJsonForms,
  type StoryPage,
} from './story-service-types.js';

export type {
  ImportAction,
  ImportResult,
  ListStoriesInput,
  StoryChange,
  StoryJson,
  StoryPage,
} from './story-service-types.js';

export class StoryService {
  constructor(
    private readonly store: Store,
    private readonly workflow: Workflow,
    private readonly clock: Clock,
    /**
     * Called in the transaction of every change of a story's status (updates, transitions,
     * automation, imports): the linkback comments of its open PRs are queued again from here.
     */
    private readonly onStatusChangeIn?: (tx: Repositories, ids: string[]) => Promise<void>,
    /**
     * Called in the transaction of every change of an existing story's document (updates,
     * transitions, automation, rollbacks, batches, imports): a bound story's write-back is
     * queued from here (docs/git-sync.md).
     */
    private readonly onChangeIn?: (tx: Repositories, changes: StoryChange[]) => Promise<void>,
    /** What a status change keeps current in the document (last_updated, lifecycle lines). */
    private readonly bookkeeping: StoryBookkeeping = DEFAULT_STORY_BOOKKEEPING,
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
    if (record === undefined) throw storyNotFound(id);
    return record;
  }

  /** The records this service just wrote keep their parsed documents for toJson. */
  private readonly json = new StoryJsonForms();

  /** The JSON form of a stored story. */
  toJson(record: StoryRecord): StoryJson {
    return this.json.of(record);
  }

  /**
   * Tells of status changes written in `tx` without this service (stories replaced from a
   * commit by the automation engine), as its own changes do.
   */
  async statusChangedIn(tx: Repositories, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.onStatusChangeIn?.(tx, ids);
  }

  /** Creates a story from its JSON form; the document is rendered in the canonical layout. */
  create(input: Record<string, unknown>, context: AuditContext): Promise<StoryRecord> {
    return this.store.transaction((tx) => this.createIn(tx, input, context));
  }

  async createIn(
    tx: Repositories,
    input: Record<string, unknown>,
    context: AuditContext,
  ): Promise<StoryRecord> {
    const { fields, body } = splitStoryJson(input);
    if (fields.status === undefined) fields.status = this.workflow.initial;
    const text = documentOrProblem(() =>
      renderStoryDocument(fields as Record<string, JsonValue>, body ?? ''),
    );
    const now = this.clock.now().toISOString();
    const record = toStoryRecord(this.workflow, parseStory(this.workflow, text), 1, now, now);
    if (!(await tx.stories.insertStory(record))) {
      throw new ProblemError('story-exists', `Story ${record.id} already exists`, {
        id: record.id,
      });
    }
    await tx.audit.append([
      this.auditEntry('story.created', record.id, null, this.toJson(record), context),
    ]);
    return record;
  }

  /**
   * Applies a partial change to fields and/or body. Without `expectedVersion` the change is
   * re-applied on the latest version if another writer got there first (no write is lost);
   * with it, a stale version answers 412 and changes nothing.
   */
  update(
    id: string,
    patch: Record<string, unknown>,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<StoryRecord> {
    return retryLostRaces(this.store, (tx) =>
      this.updateIn(tx, id, patch, expectedVersion, context),
    );
  }

  updateIn(
    tx: Repositories,
    id: string,
    patch: Record<string, unknown>,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<StoryRecord> {
    const { fields, body, version, nextStatus } = splitStoryPatch(id, patch, expectedVersion);
    return this.changeIn(
      tx,
      id,
      expectedVersion ?? version,
      'story.updated',
      context,
      (current) => {
        if (nextStatus !== undefined && nextStatus !== current.status) {
          checkTransition(this.workflow, current.status, nextStatus, 'status');
        }
        return documentOrProblem(() =>
          editStoryDocument(current.document, {
            fields,
            ...(body === undefined ? {} : { body }),
          }),
        );
      },
    );
  }

  /** Moves a story to another status along the workflow; moving to its current status is a no-op. */
  transition(
    id: string,
    to: string,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<StoryRecord> {
    return retryLostRaces(this.store, (tx) =>
      this.transitionIn(tx, id, to, expectedVersion, context),
    );
  }

  transitionIn(
    tx: Repositories,
    id: string,
    to: string,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<StoryRecord> {
    return this.changeIn(tx, id, expectedVersion, 'story.transitioned', context, (current) => {
      if (current.status === to) return current.document;
      checkTransition(this.workflow, current.status, to, 'to');
      return documentOrProblem(() =>
        editStoryDocument(current.document, { fields: { status: to } }),
      );
    });
  }

  /**
   * Sets fields decided by automation (rules, rollbacks) inside `tx`, without the workflow's
   * manual-transition check: the caller has applied its own rules. `undefined` removes a field.
   * Answers the story before and after, or undefined when it does not exist.
   */
  async applyFieldsIn(
    tx: Repositories,
    id: string,
    fields: Record<string, JsonValue | undefined>,
    action: string,
    context: AuditContext,
  ): Promise<{ before: StoryRecord; after: StoryRecord } | undefined> {
    const before = await tx.stories.getStory(id);
    if (before === undefined) return undefined;
    const after = await this.changeIn(tx, id, before.version, action, context, (current) =>
      documentOrProblem(() => editStoryDocument(current.document, { fields })),
    );
    return { before, after };
  }

  delete(id: string, expectedVersion: number | undefined, context: AuditContext): Promise<void> {
    return this.store.transaction((tx) => this.deleteIn(tx, id, expectedVersion, context));
  }

  async deleteIn(
    tx: Repositories,
    id: string,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<void> {
    const current = await tx.stories.getStory(id);
    if (current === undefined) throw storyNotFound(id);
    if (expectedVersion !== undefined && current.version !== expectedVersion) {
      throw staleVersion(id, expectedVersion, current.version);
    }
    if (!(await tx.stories.deleteStory(id, current.version))) {
      const latest = await tx.stories.getStory(id);
      if (latest === undefined) throw storyNotFound(id);
      throw staleVersion(id, current.version, latest.version);
    }
    await tx.audit.append([
      this.auditEntry('story.deleted', id, this.toJson(current), null, context),
    ]);
  }

  /**
   * Imports documents in one transaction: each is created, or replaces the stored document
   * when its bytes differ. A bad document rejects the whole import and names its index.
   */
  importDocuments(texts: string[], context: AuditContext): Promise<ImportResult[]> {
    const documents = parseImportDocuments(this.workflow, texts);
    return this.store.transaction((tx) => this.importIn(tx, documents, context));
  }

  /**
   * `reasons`: each document's own audit reason (a repository sync names each file), if any.
   * `stored`: the documents' stories as read in `tx` (an id not in it has no story), so a caller
   * that read them in one query spares a query per document.
   */
  async importIn(
    tx: Repositories,
    documents: StoryDocument[],
    shared: AuditContext,
    reasons?: readonly string[],
    stored?: ReadonlyMap<string, StoryRecord>,
  ): Promise<ImportResult[]> {
    // Kept current with this import's own writes, as reading each story again would see them.
    const known = stored === undefined ? undefined : new Map(stored);
    const now = this.clock.now().toISOString();
    const results: ImportResult[] = [];
    const entries: AuditEntryInput[] = [];
    const moved: string[] = [];
    const changes: StoryChange[] = [];
    for (const [index, document] of documents.entries()) {
      const reason = reasons?.[index];
      const context = reason === undefined ? shared : { ...shared, reason };
      const id = document.fields.id as string;
      const existing = known === undefined ? await tx.stories.getStory(id) : known.get(id);
      if (existing === undefined) {
        const record = toStoryRecord(this.workflow, document, 1, now, now);
        this.json.remember(record, document);
        if (!(await tx.stories.insertStory(record))) {
          throw new ProblemError('conflict', `Story ${id} was created during the import; retry it`);
        }
        known?.set(id, record);
        entries.push(this.auditEntry('story.imported', id, null, this.toJson(record), context));
        results.push({ id, action: 'created', version: 1 });
      } else if (existing.document === document.text) {
        results.push({ id, action: 'unchanged', version: existing.version });
      } else {
        const next = toStoryRecord(
          this.workflow,
          document,
          existing.version + 1,
          existing.createdAt,
          now,
        );
        if (!(await tx.stories.updateStory(next, existing.version))) {
          throw new ProblemError('conflict', `Story ${id} changed during the import; retry it`);
        }
        known?.set(id, next);
        const diff = diffStory(parseStoryDocument(existing.document), document);
        entries.push(this.auditEntry('story.imported', id, diff.before, diff.after, context));
        changes.push({ id, before: diff.before, after: diff.after, context });
        results.push({ id, action: 'updated', version: next.version });
        if (next.status !== existing.status) moved.push(id);
      }
    }
    if (entries.length > 0) await tx.audit.append(entries);
    if (moved.length > 0) await this.onStatusChangeIn?.(tx, moved);
    if (changes.length > 0) await this.onChangeIn?.(tx, changes);
    return results;
  }

  /**
   * One attempt at a change: read, compute the new document, compare-and-set, audit. `change`
   * answers the new text, or the edit as editStoryDocument answers it (already parsed).
   */
  private async changeIn(
    tx: Repositories,
    id: string,
    expectedVersion: number | undefined,
    action: string,
    context: AuditContext,
    change: (current: StoryRecord) => string | StoryEdit,
  ): Promise<StoryRecord> {
    const current = await tx.stories.getStory(id);
    if (current === undefined) throw storyNotFound(id);
    if (expectedVersion !== undefined && current.version !== expectedVersion) {
      throw staleVersion(id, expectedVersion, current.version);
    }
    const changed = withBookkeeping(
      current,
      change(current),
      context,
      this.clock.now(),
      this.bookkeeping,
    );
    const edit = typeof changed === 'string' ? undefined : changed;
    const text = edit === undefined ? (changed as string) : edit.document.text;
    if (text === current.document) return current;
    const document =
      edit === undefined
        ? parseStory(this.workflow, text)
        : checkWorkflowStatus(this.workflow, edit.document);
    const next = toStoryRecord(
      this.workflow,
      document,
      current.version + 1,
      current.createdAt,
      this.clock.now().toISOString(),
    );
    if (!(await tx.stories.updateStory(next, current.version))) {
      if (expectedVersion === undefined) throw new LostWriteRace(id);
      const latest = await tx.stories.getStory(id);
      throw staleVersion(id, expectedVersion, latest?.version ?? current.version + 1);
    }
    const previous = edit?.previous?.text === current.document ? edit.previous : undefined;
    const diff = diffStory(previous ?? parseStoryDocument(current.document), document);
    await tx.audit.append([this.auditEntry(action, id, diff.before, diff.after, context)]);
    if (next.status !== current.status) await this.onStatusChangeIn?.(tx, [id]);
    await this.onChangeIn?.(tx, [{ id, before: diff.before, after: diff.after, context }]);
    this.json.remember(next, document);
    return next;
  }

  private auditEntry(
    action: string,
    storyId: string,
    before: JsonValue | null,
    after: JsonValue | null,
    context: AuditContext,
  ): AuditEntryInput {
    return auditEntry({
      occurredAt: this.clock.now().toISOString(),
      action,
      targetType: 'story',
      targetId: storyId,
      before,
      after,
      ...attributionOf(context),
    });
  }
}
