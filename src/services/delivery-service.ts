// The inbox as people see it (GET /deliveries, GET /deliveries/{id}) and replay it
// (POST /deliveries/{id}/replay): read through the store, a replay requeued and audited in one
// transaction.
import type { AuditContext } from '../domain/audit/audit-context.js';
import { auditEntry } from '../domain/audit/audit-entry.js';
import type { Clock } from '../domain/clock.js';
import { ProblemError } from '../errors/problem-error.js';
import type { DeliveryRecord, DeliveryStatus } from '../storage/delivery-repository.js';
import type { Store } from '../storage/store.js';
import * as listCursor from './list-cursor.js';
import { readStringPair } from './list-cursor.js';

export { DELIVERY_STATUSES, type DeliveryStatus } from '../storage/delivery-repository.js';

/** A delivery as the API shows it: no headers, body, source address or lease. */
export interface DeliveryView {
  id: string;
  provider: string;
  event: string;
  deliveryId: string;
  repository: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  receivedAt: string;
  processedAt: string | null;
  nextAttemptAt: string;
  events: unknown[];
}

export interface DeliveryDetail extends DeliveryView {
  /** As received, with the value of every header that may carry a secret redacted. */
  headers: Record<string, string>;
  /** The payload exactly as received. */
  body: string;
}

/** Headers whose value is or proves a secret (signatures, tokens, cookies, credentials). */
const SECRET_HEADER = /signature|token|secret|authorization|cookie|password|api-key|apikey/i;

export interface DeliveryFilters {
  status?: DeliveryStatus;
  provider?: string;
  repository?: string;
  /** ISO-8601, inclusive lower bound of receivedAt. */
  since?: string;
  /** ISO-8601, exclusive upper bound of receivedAt. */
  until?: string;
}

export interface DeliveryPage {
  items: DeliveryView[];
  nextCursor: string | null;
}

export class DeliveryService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** Called after a replay commits, so the worker looks at the inbox now. */
    private readonly wake: () => void,
  ) {}

  /** Newest first, `limit` at a time; `cursor` is the previous page's `nextCursor`. */
  async list(filters: DeliveryFilters, limit: number, cursor?: string): Promise<DeliveryPage> {
    const rows = await this.store.deliveries.listDeliveries({
      ...filters,
      ...(cursor === undefined ? {} : { before: decodeCursor(cursor) }),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(deliveryView),
      nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
    };
  }

  /** Throws `not-found` when there is no delivery `id`. */
  async get(id: string): Promise<DeliveryView> {
    const delivery = await this.store.deliveries.getDelivery(id);
    if (delivery === undefined) throw notFound(id);
    return deliveryView(delivery);
  }

  /**
   * A delivery with its headers (any that may carry a secret redacted) and its payload as
   * received, for people looking into it (the console). Throws `not-found`.
   */
  async detail(id: string): Promise<DeliveryDetail> {
    const delivery = await this.store.deliveries.getDelivery(id);
    if (delivery === undefined) throw notFound(id);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(delivery.headers)) {
      headers[name] = SECRET_HEADER.test(name) ? '[redacted]' : value;
    }
    return { ...deliveryView(delivery), headers, body: delivery.body };
  }

  /**
   * Queues delivery `id` to be processed again and audits it as `delivery.replayed`. Throws
   * `not-found`, or `conflict` while a worker holds it.
   */
  async replay(id: string, context: AuditContext): Promise<DeliveryView> {
    const replayed = await this.store.transaction(async (tx) => {
      const delivery = await tx.deliveries.getDelivery(id);
      if (delivery === undefined) throw notFound(id);
      const now = this.clock.now().toISOString();
      if (!(await tx.deliveries.requeueDelivery(delivery.id, now))) {
        throw new ProblemError(
          'conflict',
          `Delivery ${delivery.id} is being processed right now; retry shortly`,
        );
      }
      await tx.audit.append([
        auditEntry({
          occurredAt: now,
          actor: context.actor,
          action: 'delivery.replayed',
          targetType: 'delivery',
          targetId: delivery.id,
          before: { status: delivery.status },
          after: { status: 'pending' },
          requestId: context.requestId,
          deliveryId: delivery.id,
        }),
      ]);
      return (await tx.deliveries.getDelivery(delivery.id))!;
    });
    this.wake();
    return deliveryView(replayed);
  }
}

function notFound(id: string): ProblemError {
  return new ProblemError('not-found', `No delivery ${id}`);
}

function deliveryView(delivery: DeliveryRecord): DeliveryView {
  return {
    id: delivery.id,
    provider: delivery.provider,
    event: delivery.event,
    deliveryId: delivery.deliveryId,
    repository: delivery.repository,
    status: delivery.status,
    attempts: delivery.attempts,
    lastError: delivery.lastError,
    receivedAt: delivery.receivedAt,
    processedAt: delivery.processedAt,
    nextAttemptAt: delivery.nextAttemptAt,
    events: delivery.events ?? [],
  };
}

function encodeCursor(delivery: DeliveryRecord): string {
  return listCursor.encodeCursor([delivery.receivedAt, delivery.id]);
}

function decodeCursor(cursor: string): { receivedAt: string; id: string } {
  const [receivedAt, id] = listCursor.decodeCursor(cursor, readStringPair);
  return { receivedAt, id };
}
