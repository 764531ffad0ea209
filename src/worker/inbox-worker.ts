// The inbox loop: claim due deliveries, normalize them, hand their events to the handler and
// record the outcome — effects and status in one transaction — retrying failures with backoff
// and jitter until the schedule is used up (then the delivery is dead).
import { type AuditEntryInput, auditEntry } from '../domain/audit/audit-entry.js';
import type { Clock } from '../domain/clock.js';
import type { NormalizedEvent } from '../domain/events/normalized-event.js';
import { nextAttemptDelay } from '../domain/inbox/next-attempt-delay.js';
import type { AdapterResult } from '../providers/adapter-result.js';
import { type ProviderTable, webhookProviders } from '../providers/index.js';
import type { DeliveryHandler } from '../services/inbox/delivery-handler.js';
import { normalizeDelivery } from '../services/inbox/normalize-delivery.js';
import type { DeliveryOutcome, DeliveryRecord } from '../storage/delivery-repository.js';
import { isStorageUnavailable, storageFailureReason } from '../storage/storage-failure.js';
import type { Repositories, Store } from '../storage/store.js';

/** A processed delivery, as the metrics count it. */
export interface ProcessedOutcome {
  provider: string;
  status: DeliveryOutcome['status'];
}

export interface InboxWorkerOptions {
  /** Identifies this worker's claims (instance + worker). */
  owner: string;
  batchSize: number;
  leaseMs: number;
  pollMs: number;
  retrySchedule: readonly number[];
  clock: Clock;
  random?: () => number;
  onError?: (error: unknown) => void;
  /**
   * A transaction takes further deliveries of the batch until it has been open this long
   * (default 5 ms), then commits; the rest of the batch follows in the next one.
   */
  transactionMs?: number;
  /**
   * How long a woken idle worker waits before it claims (default 0): a burst then makes a few
   * large claims instead of one small claim (and commit) per group commit of the inbox.
   */
  wakeDelayMs?: number;
  /**
   * Serializes this worker's writes with another writer of the same database (`serve` on
   * SQLite: the webhook commit thread), which goes first when it waits.
   */
  writeGate?: WriteGate;
  /** Whose deliveries this worker normalizes (default: the table of src/providers). */
  providers?: ProviderTable;
  /** Called with each batch's outcomes, for metrics and backlog accounting. */
  onOutcomes?: (outcomes: ProcessedOutcome[]) => void;
}

export interface WriteGate {
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Another writer is waiting: finish the transaction in hand soon. */
  contended(): boolean;
}

const UNGATED: WriteGate = { run: (fn) => fn(), contended: () => false };

class LeaseLost extends Error {}

export class InboxWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly random: () => number;
  private readonly transactionMs: number;
  private readonly gate: WriteGate;

  constructor(
    private readonly store: Store,
    private readonly handler: DeliveryHandler,
    private readonly options: InboxWorkerOptions,
  ) {
    this.random = options.random ?? Math.random;
    this.transactionMs = options.transactionMs ?? 5;
    this.gate = options.writeGate ?? UNGATED;
  }

  private normalize(delivery: DeliveryRecord): AdapterResult {
    return normalizeDelivery(this.options.providers ?? webhookProviders, delivery);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** New deliveries were stored: look now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops claiming; resolves when the batch in hand is done. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let processed = 0;
      try {
        processed = await this.runOnce();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (processed === 0 && this.running) {
        await new Promise<void>((resolve) => {
          let timer = setTimeout(resolve, this.options.pollMs);
          const delay = this.options.wakeDelayMs ?? 0;
          this.wakeUp = () => {
            clearTimeout(timer);
            if (delay === 0 || !this.running) {
              resolve();
              return;
            }
            // Let the burst that woke us gather: one claim and one commit for many deliveries.
            timer = setTimeout(resolve, delay);
            this.wakeUp = () => {};
          };
        });
        this.wakeUp = undefined;
      }
    }
  }

  /** Claims one batch and processes it; answers how many deliveries it claimed. */
  async runOnce(): Promise<number> {
    const now = this.options.clock.now();
    const claims = await this.gate.run(() =>
      this.store.deliveries.claimDeliveries(
        this.options.owner,
        now.toISOString(),
        new Date(now.getTime() + this.options.leaseMs).toISOString(),
        this.options.batchSize,
      ),
    );
    if (claims.length === 0) return 0;
    // Reading the payloads (tens of kB each) and parsing and normalizing them need no lock: done
    // before any transaction, so transactions (which hold SQLite's write lock) only do what must
    // happen inside them.
    const claimed = await this.store.deliveries.withPayloads(claims);
    const normalized = new Map(claimed.map((delivery) => [delivery, this.normalize(delivery)]));
    const outcomes: { provider: string; status: DeliveryOutcome['status'] }[] = [];
    if (claimed.length === 1) {
      const status = await this.processAlone(claimed[0]!, normalized.get(claimed[0]!));
      this.options.onOutcomes?.(
        status === undefined ? [] : [{ provider: claimed[0]!.provider, status }],
      );
      return 1;
    }
    // The common case: many deliveries per transaction, each transaction kept short (it holds
    // SQLite's write lock, which the webhook commits wait for).
    let next = 0;
    while (next < claimed.length) {
      const first = next;
      const chunk: { provider: string; status: DeliveryOutcome['status'] }[] = [];
      try {
        await this.transaction(async (tx) => {
          const began = performance.now();
          do {
            const delivery = claimed[next]!;
            next += 1;
            const outcome = await this.apply(tx, delivery, normalized.get(delivery));
            // Appended now rather than all at the end: a webhook commit that starts waiting
            // then waits for this delivery and the commit, not for the whole batch's entries.
            await tx.audit.append([this.auditEntry(delivery, outcome)]);
            chunk.push({ provider: delivery.provider, status: outcome.status });
          } while (
            next < claimed.length &&
            performance.now() - began < this.transactionMs &&
            !this.gate.contended()
          );
        });
        outcomes.push(...chunk);
      } catch {
        // Something in the chunk failed: one transaction per delivery, so only that one retries.
        for (const delivery of claimed.slice(first, next)) {
          const status = await this.processAlone(delivery, normalized.get(delivery));
          if (status !== undefined) outcomes.push({ provider: delivery.provider, status });
        }
      }
    }
    this.options.onOutcomes?.(outcomes);
    return claimed.length;
  }

  private async processAlone(
    delivery: DeliveryRecord,
    result?: AdapterResult,
  ): Promise<DeliveryOutcome['status'] | undefined> {
    try {
      return await this.transaction(async (tx) => {
        const outcome = await this.apply(tx, delivery, result);
        await tx.audit.append([this.auditEntry(delivery, outcome)]);
        return outcome.status;
      });
    } catch (error) {
      if (error instanceof LeaseLost) return undefined;
      return this.recordFailure(delivery, error);
    }
  }

  private transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.gate.run(() => this.store.transaction(fn));
  }

  /** Normalizes and hands the events to the handler; the delivery is marked in the same tx. */
  private async apply(
    tx: Repositories,
    delivery: DeliveryRecord,
    result = this.normalize(delivery),
  ): Promise<DeliveryOutcome> {
    const processedAt = this.options.clock.now().toISOString();
    const outcome: DeliveryOutcome =
      result.status === 'ignored'
        ? { status: 'ignored', events: [], lastError: result.reason, processedAt }
        : { status: 'processed', events: result.events, lastError: null, processedAt };
    if (!(await this.finishClaimed(tx, delivery, outcome))) {
      throw new LeaseLost(`lost the claim on delivery ${delivery.id}`);
    }
    if (result.status === 'events') {
      await this.handler.handle(tx, delivery, result.events as NormalizedEvent[]);
    }
    return outcome;
  }

  private async recordFailure(
    delivery: DeliveryRecord,
    error: unknown,
  ): Promise<DeliveryOutcome['status'] | undefined> {
    const delay = nextAttemptDelay(this.options.retrySchedule, delivery.attempts, this.random());
    const now = this.options.clock.now();
    // A storage failure is recorded with the database's code (`database or disk is full
    // (SQLITE_FULL)`), so a full disk is told apart from a failing rule.
    const message = isStorageUnavailable(error)
      ? storageFailureReason(error)
      : error instanceof Error
        ? error.message
        : String(error);
    const outcome: DeliveryOutcome =
      delay === null
        ? { status: 'dead', events: null, lastError: message, processedAt: null }
        : {
            status: 'failed',
            events: null,
            lastError: message,
            processedAt: null,
            nextAttemptAt: new Date(now.getTime() + delay).toISOString(),
          };
    try {
      return await this.transaction(async (tx) => {
        if (!(await this.finishClaimed(tx, delivery, outcome))) return undefined;
        if (outcome.status === 'dead') await tx.audit.append([this.auditEntry(delivery, outcome)]);
        return outcome.status;
      });
    } catch (recordError) {
      // The lease runs out and another attempt happens: nothing is lost.
      this.options.onError?.(recordError);
      return undefined;
    }
  }

  /** Stores a claimed delivery's outcome; false when this worker's claim on it was lost. */
  private finishClaimed(
    tx: Repositories,
    delivery: DeliveryRecord,
    outcome: DeliveryOutcome,
  ): Promise<boolean> {
    return tx.deliveries.finishDelivery(
      delivery.id,
      this.options.owner,
      delivery.attempts,
      outcome,
    );
  }

  private auditEntry(delivery: DeliveryRecord, outcome: DeliveryOutcome): AuditEntryInput {
    return auditEntry({
      occurredAt: this.options.clock.now().toISOString(),
      actor: { type: 'webhook', id: delivery.deliveryId, name: delivery.provider },
      action: `delivery.${outcome.status}`,
      targetType: 'delivery',
      targetId: delivery.id,
      after: {
        status: outcome.status,
        event: delivery.event,
        attempts: delivery.attempts,
        events: outcome.events?.length ?? 0,
        ...(outcome.lastError === null ? {} : { lastError: outcome.lastError }),
      },
      deliveryId: delivery.id,
    });
  }
}
