// The front door of the durable inbox: deliveries are committed before they are acknowledged,
// many at a time. Requests that arrive while a commit is in flight wait for the next one, so
// one commit acknowledges a whole burst (group commit) and throughput follows the load.
import { ProblemError } from '../../errors/problem-error.js';
import { type ProviderTable, webhookProviders } from '../../providers/index.js';
import type { NewDelivery } from '../../storage/delivery-repository.js';
import { isStorageUnavailable, storageFailureReason } from '../../storage/storage-failure.js';
import type { Store } from '../../storage/store.js';
import { type InboxItem, type InboxResult, storeDeliveries } from './store-deliveries.js';

interface Waiting {
  item: InboxItem;
  resolve(result: InboxResult): void;
  reject(error: unknown): void;
}

export interface DeliveryInboxOptions {
  /** Backlog above which new deliveries are refused with 503 (STORYFLOW_INBOX_MAX). */
  max: number;
  /** Most deliveries in one commit. */
  maxBatch?: number;
  /** How often the backlog is re-counted from the database, in ms. */
  backlogRefreshMs?: number;
  /**
   * Counts the backlog; default: a query on the store. `serve` on a SQLite file counts in a
   * thread instead (a million waiting deliveries take 50 ms to count).
   */
  countBacklog?: () => Promise<number>;
  /** Called with the error of each commit that failed (/readyz learns of a full disk). */
  onWriteFailure?: (error: unknown) => void;
  /** Called after each commit that stored something new (wakes local workers). */
  onStored?: () => void;
  /**
   * Commits a batch and answers each delivery's id and whether it was a duplicate; default: a
   * transaction on the store. `serve` on SQLite commits in a thread of its own instead.
   */
  write?: (items: InboxItem[]) => Promise<InboxResult[]>;
  /** Whose deliveries the default write inspects (default: the table of src/providers). */
  providers?: ProviderTable;
}

export class DeliveryInbox {
  private queue: Waiting[] = [];
  private flushing = false;
  private scheduled = false;
  private backlog = 0;
  private backlogCountedAt = 0;
  private counting: Promise<void> | undefined;
  private readonly maxBatch: number;
  private readonly refreshMs: number;
  private readonly write: (items: InboxItem[]) => Promise<InboxResult[]>;

  constructor(
    private readonly store: Store,
    private readonly options: DeliveryInboxOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.refreshMs = options.backlogRefreshMs ?? 1000;
    this.write =
      options.write ??
      ((items) =>
        this.store.transaction((tx) =>
          storeDeliveries(tx.deliveries, items, options.providers ?? webhookProviders),
        ));
  }

  /**
   * Resolves once the delivery is durably stored (or found stored already), or with
   * `malformed` when `inspect` was asked for and the body is not JSON (nothing is stored).
   */
  async accept(delivery: NewDelivery, inspect = false): Promise<InboxResult> {
    await this.checkBacklog();
    return new Promise((resolve, reject) => {
      this.queue.push({ item: { delivery, inspect }, resolve, reject });
      this.schedule();
    });
  }

  /** Refuses with 503 + Retry-After while the backlog is over the limit. */
  private async checkBacklog(): Promise<void> {
    if (Date.now() - this.backlogCountedAt > this.refreshMs) {
      this.counting ??= (this.options.countBacklog?.() ?? this.store.deliveries.countBacklog())
        .then((count) => {
          this.backlog = count;
          this.backlogCountedAt = Date.now();
        })
        .finally(() => {
          this.counting = undefined;
        });
      // Only the first count waits; later ones refresh in the background.
      if (this.backlogCountedAt === 0) {
        try {
          await this.counting;
        } catch (error) {
          throw storageUnavailable(error);
        }
      } else {
        this.counting.catch(() => {});
      }
    }
    if (this.backlog + this.queue.length >= this.options.max) {
      throw new ProblemError(
        'unavailable',
        `The inbox holds ${this.backlog} deliveries waiting to be processed (limit ${this.options.max}); retry later`,
        { backlog: this.backlog, limit: this.options.max },
        { 'retry-after': '30' },
      );
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // Let the requests already read in this turn of the event loop join the commit.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.splice(0, this.maxBatch);
    let results: InboxResult[] | undefined;
    let failure: unknown;
    try {
      results = await this.write(batch.map((waiting) => waiting.item));
    } catch (error) {
      failure = error;
    }
    this.flushing = false;
    // The requests that arrived during this commit have waited for one already: their commit
    // starts now, before this batch's answers are sent, so it runs while they are written.
    if (this.queue.length > 0) void this.flush();
    if (results === undefined) {
      this.options.onWriteFailure?.(failure);
      for (const waiting of batch) waiting.reject(storageUnavailable(failure));
      return;
    }
    let stored = 0;
    results.forEach((result, index) => {
      if ('id' in result && !result.duplicate) stored += 1;
      batch[index]!.resolve(result);
    });
    this.backlog += stored;
    if (stored > 0) this.options.onStored?.();
  }

  /** Deliveries processed elsewhere shrink the local view of the backlog until the next count. */
  noteProcessed(count: number): void {
    this.backlog = Math.max(0, this.backlog - count);
  }
}

function storageUnavailable(error: unknown): ProblemError {
  // A storage failure is named by its kind and code, without the database's address.
  const cause = isStorageUnavailable(error)
    ? storageFailureReason(error)
    : (error as Error).message;
  return new ProblemError(
    'unavailable',
    `The delivery could not be stored: ${cause}`,
    {},
    { 'retry-after': '5' },
  );
}
