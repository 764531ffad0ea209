// Delivery queries shared by both dialects; only the claim differs (SKIP LOCKED on PostgreSQL).
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { NormalizedEvent } from '../domain/events/normalized-event.js';
import { type Database, type DeliveriesTable, storageDialectOf } from './database.js';
import {
  BACKLOG_STATUSES,
  type ClaimedDelivery,
  type DeliveryListQuery,
  type DeliveryOutcome,
  type DeliveryRecord,
  type DeliveryRepository,
  type DeliveryStatus,
  type NewDelivery,
} from './delivery-repository.js';
import { PrecompiledQuery } from './precompiled-query.js';

/** Rows per INSERT statement: well below both databases' bound-parameter limits. */
const INSERT_CHUNK = 500;

export class KyselyDeliveryRepository implements DeliveryRepository {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = storageDialectOf(db) === 'postgres';
  }

  async insertDeliveries(items: NewDelivery[]): Promise<{ id: string; duplicate: boolean }[]> {
    if (items.length === 0) return [];
    const inserted = new Set<string>();
    // Concurrent batches (several instances) take row locks in one order, so they cannot deadlock.
    const ordered = [...items].sort(
      (a, b) =>
        compare(a.provider, b.provider) ||
        compare(a.deliveryId, b.deliveryId) ||
        compare(a.id, b.id),
    );
    for (let start = 0; start < ordered.length; start += INSERT_CHUNK) {
      const chunk = ordered.slice(start, start + INSERT_CHUNK);
      if (this.postgres) {
        const rows = await this.db
          .insertInto('deliveries')
          .values(chunk.map(deliveryRow))
          .onConflict((conflict) => conflict.columns(['provider', 'delivery_id']).doNothing())
          .returning('id')
          .execute();
        for (const row of rows) inserted.add(row.id);
      } else {
        // One row per statement on SQLite: no round trips to save, and its multi-row VALUES
        // into these tables costs ~25 µs more CPU per delivery than single-row inserts
        // (measured on the webhook commit path, docs/performance.md "One SQLite seam").
        for (const item of chunk) {
          const { numAffectedRows } = await INSERT_DELIVERY.execute(this.db, deliveryRow(item));
          if (numAffectedRows !== 1n) continue;
          inserted.add(item.id);
          await INSERT_PAYLOAD.execute(this.db, { delivery_id: item.id, body: item.body });
        }
        continue;
      }
      const payloads = chunk.filter((item) => inserted.has(item.id));
      if (payloads.length > 0) {
        await this.db
          .insertInto('delivery_payloads')
          .values(payloads.map((item) => ({ delivery_id: item.id, body: item.body })))
          .execute();
      }
    }
    const missing = items.filter((item) => !inserted.has(item.id));
    const existing = new Map<string, string>();
    if (missing.length > 0) {
      // Duplicates: the stored id of each (provider, delivery id) — stored earlier or by an
      // item earlier in this very batch.
      const rows = await this.db
        .selectFrom('deliveries')
        .select(['id', 'provider', 'delivery_id'])
        .where((eb) =>
          eb.or(
            missing.map((item) =>
              eb.and([eb('provider', '=', item.provider), eb('delivery_id', '=', item.deliveryId)]),
            ),
          ),
        )
        .execute();
      for (const row of rows) existing.set(`${row.provider}\u0000${row.delivery_id}`, row.id);
    }
    return items.map((item) =>
      inserted.has(item.id)
        ? { id: item.id, duplicate: false }
        : {
            id: existing.get(`${item.provider}\u0000${item.deliveryId}`) ?? item.id,
            duplicate: true,
          },
    );
  }

  async claimDeliveries(
    owner: string,
    now: string,
    leaseUntil: string,
    limit: number,
  ): Promise<ClaimedDelivery[]> {
    const rows = await this.db
      .updateTable('deliveries')
      .set((eb) => ({
        status: 'processing',
        attempts: eb('attempts', '+', 1),
        lease_owner: owner,
        lease_until: leaseUntil,
      }))
      .where(
        'id',
        'in',
        this.postgres ? this.dueOnPostgres(now, limit) : this.dueOnSqlite(now, limit),
      )
      .returningAll()
      .execute();
    return rows
      .map(withoutBody)
      .sort((a, b) => compare(a.receivedAt, b.receivedAt) || compare(a.id, b.id));
  }

  async withPayloads(claimed: ClaimedDelivery[]): Promise<DeliveryRecord[]> {
    const bodies = await this.bodiesOf(claimed.map((delivery) => delivery.id));
    return claimed.map((delivery) => ({ ...delivery, body: bodies.get(delivery.id) ?? '' }));
  }

  /** The `limit` due deliveries that waited longest, locked against other instances' claims. */
  private dueOnPostgres(now: string, limit: number) {
    return this.db
      .selectFrom('deliveries')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', 'in', ['pending', 'failed']), eb('next_attempt_at', '<=', now)]),
          eb.and([eb('status', '=', 'processing'), eb('lease_until', '<', now)]),
        ]),
      )
      .orderBy('next_attempt_at')
      .limit(limit)
      .forUpdate()
      .skipLocked();
  }

  /**
   * The same on SQLite, one status at a time: each branch reads only its first `limit` rows of
   * the claim index, in order. SQLite runs the single OR query as two index scans whose union
   * it sorts whole, so a claim read and sorted the entire backlog (3.5 ms at 16,000 pending,
   * holding the write lock the webhook commits wait for) to take 50 of it.
   */
  private dueOnSqlite(now: string, limit: number) {
    const branch = (status: 'pending' | 'failed' | 'processing') =>
      this.db
        .selectFrom((db) =>
          db
            .selectFrom('deliveries')
            .select(['id', 'next_attempt_at'])
            .where('status', '=', status)
            .where(
              status === 'processing' ? 'lease_until' : 'next_attempt_at',
              status === 'processing' ? '<' : '<=',
              now,
            )
            .orderBy('next_attempt_at')
            .limit(limit)
            .as(status),
        )
        .select(['id', 'next_attempt_at']);
    return this.db
      .selectFrom(
        branch('pending').unionAll(branch('failed')).unionAll(branch('processing')).as('due'),
      )
      .select('id')
      .orderBy('next_attempt_at')
      .limit(limit);
  }

  async finishDelivery(
    id: string,
    owner: string,
    attempt: number,
    outcome: DeliveryOutcome,
  ): Promise<boolean> {
    const values = {
      id,
      owner,
      attempt,
      status: outcome.status,
      events: outcome.events === null ? null : JSON.stringify(outcome.events),
      lastError: outcome.lastError,
      processedAt: outcome.processedAt,
    };
    const result =
      outcome.nextAttemptAt === undefined
        ? await FINISH.execute(this.db, values)
        : await FINISH_AND_RESCHEDULE.execute(this.db, {
            ...values,
            nextAttemptAt: outcome.nextAttemptAt,
          });
    return Number(result.numAffectedRows) === 1;
  }

  async getDelivery(id: string): Promise<DeliveryRecord | undefined> {
    const row = await this.db
      .selectFrom('deliveries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : (await this.withBodies([row]))[0];
  }

  async listDeliveries(query: DeliveryListQuery): Promise<DeliveryRecord[]> {
    let select = this.db.selectFrom('deliveries').selectAll();
    if (query.status !== undefined) select = select.where('status', '=', query.status);
    if (query.provider !== undefined) select = select.where('provider', '=', query.provider);
    if (query.repository !== undefined) select = select.where('repository', '=', query.repository);
    if (query.since !== undefined) select = select.where('received_at', '>=', query.since);
    if (query.until !== undefined) select = select.where('received_at', '<', query.until);
    const before = query.before;
    if (before !== undefined) {
      select = select.where((eb) =>
        eb.or([
          eb('received_at', '<', before.receivedAt),
          eb.and([eb('received_at', '=', before.receivedAt), eb('id', '<', before.id)]),
        ]),
      );
    }
    const rows = await select
      .orderBy('received_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .execute();
    return this.withBodies(rows);
  }

  async countBacklog(): Promise<number> {
    const row = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('status', 'in', BACKLOG_STATUSES)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async completeDelivery(id: string, attempts: number, outcome: DeliveryOutcome): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set({
        status: outcome.status,
        attempts,
        events: outcome.events === null ? null : JSON.stringify(outcome.events),
        last_error: outcome.lastError,
        processed_at: outcome.processedAt,
        ...(outcome.nextAttemptAt === undefined ? {} : { next_attempt_at: outcome.nextAttemptAt }),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Records with their bodies, read from the payloads table (one query for them all). */
  private async withBodies(rows: Selectable<DeliveriesTable>[]): Promise<DeliveryRecord[]> {
    const bodies = await this.bodiesOf(rows.map((row) => row.id));
    return rows.map((row) => ({ ...withoutBody(row), body: bodies.get(row.id) ?? '' }));
  }

  private async bodiesOf(ids: string[]): Promise<Map<string, string>> {
    const bodies = new Map<string, string>();
    for (let start = 0; start < ids.length; start += INSERT_CHUNK) {
      const payloads = await this.db
        .selectFrom('delivery_payloads')
        .select(['delivery_id', 'body'])
        .where('delivery_id', 'in', ids.slice(start, start + INSERT_CHUNK))
        .execute();
      for (const payload of payloads) bodies.set(payload.delivery_id, payload.body);
    }
    return bodies;
  }

  async requeueDelivery(id: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('deliveries')
      .set({ status: 'pending', next_attempt_at: now, last_error: null })
      .where('id', '=', id)
      .where('status', '!=', 'processing')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async storedDeliveryIds(provider: string, deliveryIds: readonly string[]): Promise<Set<string>> {
    const stored = new Set<string>();
    for (let start = 0; start < deliveryIds.length; start += INSERT_CHUNK) {
      const rows = await this.db
        .selectFrom('deliveries')
        .select('delivery_id')
        .where('provider', '=', provider)
        .where('delivery_id', 'in', deliveryIds.slice(start, start + INSERT_CHUNK))
        .execute();
      for (const row of rows) stored.add(row.delivery_id);
    }
    return stored;
  }

  async listRepositories(provider: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select('repository')
      .distinct()
      .where('provider', '=', provider)
      .where('repository', 'is not', null)
      .orderBy('repository')
      .execute();
    return rows.flatMap((row) => (row.repository === null ? [] : [row.repository]));
  }
}

interface FinishValues extends Record<string, unknown> {
  id: string;
  owner: string;
  attempt: number;
  status: string;
  events: string | null;
  lastError: string | null;
  processedAt: string | null;
}

/** Records an attempt's outcome while `owner` still holds the claim of `attempt`. */
function finish(db: Kysely<Database>, values: FinishValues, nextAttemptAt?: string) {
  return db
    .updateTable('deliveries')
    .set({
      status: values.status,
      events: values.events,
      last_error: values.lastError,
      processed_at: values.processedAt,
      lease_owner: null,
      lease_until: null,
      ...(nextAttemptAt === undefined ? {} : { next_attempt_at: nextAttemptAt }),
    })
    .where('id', '=', values.id)
    .where('status', '=', 'processing')
    .where('lease_owner', '=', values.owner)
    .where('attempts', '=', values.attempt);
}

const FINISH_NAMES = [
  'id',
  'owner',
  'attempt',
  'status',
  'events',
  'lastError',
  'processedAt',
] as const;

/** Run for every delivery the worker processes: compiled once (see precompiled-query.ts). */
const FINISH = new PrecompiledQuery<FinishValues>(FINISH_NAMES, (db, values) => finish(db, values));
const FINISH_AND_RESCHEDULE = new PrecompiledQuery<FinishValues & { nextAttemptAt: string }>(
  [...FINISH_NAMES, 'nextAttemptAt'],
  (db, values) => finish(db, values, values.nextAttemptAt),
);

/** A new delivery's row: pending, due at once. */
function deliveryRow(item: NewDelivery): Insertable<DeliveriesTable> & DeliveryRowValues {
  return {
    id: item.id,
    provider: item.provider,
    delivery_id: item.deliveryId,
    event: item.event,
    headers: JSON.stringify(item.headers),
    received_at: item.receivedAt,
    source_address: item.sourceAddress,
    repository: item.repository,
    status: 'pending',
    attempts: 0,
    next_attempt_at: item.receivedAt,
  };
}

interface DeliveryRowValues extends Record<string, unknown> {
  id: string;
  provider: string;
  delivery_id: string;
  event: string;
  headers: string;
  received_at: string;
  source_address: string | null;
  repository: string | null;
  status: 'pending';
  attempts: number;
  next_attempt_at: string;
}

const INSERT_DELIVERY = new PrecompiledQuery<DeliveryRowValues>(
  [
    'id',
    'provider',
    'delivery_id',
    'event',
    'headers',
    'received_at',
    'source_address',
    'repository',
    'status',
    'attempts',
    'next_attempt_at',
  ],
  (db, row) =>
    db
      .insertInto('deliveries')
      .values(row)
      .onConflict((conflict) => conflict.columns(['provider', 'delivery_id']).doNothing()),
);

const INSERT_PAYLOAD = new PrecompiledQuery<{ delivery_id: string; body: string }>(
  ['delivery_id', 'body'],
  (db, row) => db.insertInto('delivery_payloads').values(row),
);

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function withoutBody(row: Selectable<DeliveriesTable>): ClaimedDelivery {
  return {
    id: row.id,
    provider: row.provider,
    deliveryId: row.delivery_id,
    event: row.event,
    headers: JSON.parse(row.headers) as Record<string, string>,
    receivedAt: row.received_at,
    sourceAddress: row.source_address,
    repository: row.repository,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    lastError: row.last_error,
    events: row.events === null ? null : (JSON.parse(row.events) as NormalizedEvent[]),
    processedAt: row.processed_at,
  };
}
