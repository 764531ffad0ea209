// The durable inbox: webhook and CI deliveries, stored before they are acknowledged.
import type { NormalizedEvent } from '../domain/events/normalized-event.js';

export const DELIVERY_STATUSES = [
  'pending',
  'processing',
  'processed',
  'ignored',
  'failed',
  'dead',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The statuses of deliveries still to be processed: the inbox backlog. */
export const BACKLOG_STATUSES = [
  'pending',
  'failed',
  'processing',
] as const satisfies readonly DeliveryStatus[];

export interface NewDelivery {
  id: string;
  provider: string;
  /** The provider's delivery id; unique per provider. */
  deliveryId: string;
  event: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: string;
  sourceAddress: string | null;
  repository: string | null;
}

export interface DeliveryRecord extends NewDelivery {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  leaseOwner: string | null;
  leaseUntil: string | null;
  lastError: string | null;
  events: NormalizedEvent[] | null;
  processedAt: string | null;
}

/** A delivery as claimed: its payload is read afterwards (withPayloads), outside the claim. */
export type ClaimedDelivery = Omit<DeliveryRecord, 'body'>;

export interface DeliveryListQuery {
  status?: DeliveryStatus;
  provider?: string;
  repository?: string;
  /** ISO-8601, inclusive lower bound of receivedAt. */
  since?: string;
  /** ISO-8601, exclusive upper bound of receivedAt. */
  until?: string;
  /** Newest first: deliveries received before this cursor (receivedAt, id). */
  before?: { receivedAt: string; id: string };
  limit: number;
}

export interface DeliveryOutcome {
  status: Exclude<DeliveryStatus, 'pending' | 'processing'>;
  events: NormalizedEvent[] | null;
  lastError: string | null;
  processedAt: string | null;
  /** For `failed`: when to try again. */
  nextAttemptAt?: string;
}

export interface DeliveryRepository {
  /**
   * Stores new deliveries in one statement; a delivery whose (provider, deliveryId) is already
   * stored is not stored again. Answers, in input order, the id each one is stored under and
   * whether it was a duplicate.
   */
  insertDeliveries(items: NewDelivery[]): Promise<{ id: string; duplicate: boolean }[]>;
  /**
   * Takes up to `limit` deliveries that are due (pending, or failed with nextAttemptAt <= now) or
   * whose lease expired, marks them processing under `owner` until `leaseUntil` and counts the
   * attempt. Concurrent claimers never get the same delivery (SKIP LOCKED on PostgreSQL).
   */
  claimDeliveries(
    owner: string,
    now: string,
    leaseUntil: string,
    limit: number,
  ): Promise<ClaimedDelivery[]>;
  /**
   * The claimed deliveries with their payloads, in the same order. Payloads never change once
   * stored, so this needs no transaction: on SQLite the worker reads them after the claim has
   * committed, without holding the write lock the webhook commits wait for.
   */
  withPayloads(claimed: ClaimedDelivery[]): Promise<DeliveryRecord[]>;
  /**
   * Records the outcome of an attempt, only while `owner` still holds the claim of `attempt`;
   * false when the lease was lost (another worker took over), so the caller rolls back.
   */
  finishDelivery(
    id: string,
    owner: string,
    attempt: number,
    outcome: DeliveryOutcome,
  ): Promise<boolean>;
  getDelivery(id: string): Promise<DeliveryRecord | undefined>;
  listDeliveries(query: DeliveryListQuery): Promise<DeliveryRecord[]>;
  /** Deliveries not yet done (BACKLOG_STATUSES: pending, failed, processing), for backpressure. */
  countBacklog(): Promise<number>;
  /**
   * Records the outcome of a delivery processed in the transaction that stored it (/ci/events),
   * which no worker can have claimed.
   */
  completeDelivery(id: string, attempts: number, outcome: DeliveryOutcome): Promise<void>;
  /** Makes a delivery due again now (replay); false when it does not exist or is being processed. */
  requeueDelivery(id: string, now: string): Promise<boolean>;
  /** Which of the provider's delivery ids are stored (whatever their status). */
  storedDeliveryIds(provider: string, deliveryIds: readonly string[]): Promise<Set<string>>;
  /** The repositories deliveries from `provider` named, each once, in name order. */
  listRepositories(provider: string): Promise<string[]>;
}
