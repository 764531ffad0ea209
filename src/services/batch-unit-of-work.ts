// The write-behind unit of work of a POST /batch transaction: the transaction's repositories
// with the batch's stories read up front and their writes and audit entries held back, so a
// 1,000-operation batch sends a few statements instead of thousands. Nothing else uses it.
import type { AuditEntryInput } from '../domain/audit/audit-entry.js';
import type { AuditRepository } from '../storage/audit-repository.js';
import type { Repositories, StoryRecord, StoryRepository, StoryWrite } from '../storage/store.js';
import { LostWriteRace } from './story-problems.js';

/** Stories read per prefetch query. */
const PREFETCH_CHUNK = 500;

/**
 * The transaction's repositories with audit appends collected in order and appended in one go by
 * `flush` (same transaction, same chain order): a 1,000-operation batch chains its entries once
 * instead of locking and updating the chain head 1,000 times. `append` answers no stored entries
 * until then; the story operations do not use them.
 */
export function collectingAudit(tx: Repositories): {
  tx: Repositories;
  flush: () => Promise<void>;
} {
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
export async function prefetchingStories(
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
