import type { Kysely, Selectable } from 'kysely';
import { type Database, type OutboxTable, storageDialectOf } from './database.js';
import type {
  OutboxEnqueue,
  OutboxItem,
  OutboxRepository,
  OutboxStatus,
} from './outbox-repository.js';

export class KyselyOutboxRepository implements OutboxRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async enqueue(item: OutboxEnqueue): Promise<string> {
    const row = await this.db
      .insertInto('outbox')
      .values({
        id: item.id,
        forge: item.forge,
        kind: item.kind,
        target: item.target,
        payload: JSON.stringify(item.payload),
        version: 1,
        status: 'pending',
        attempts: 0,
        next_attempt_at: item.at,
        lease_until: null,
        last_error: null,
        remote_id: null,
        created_at: item.at,
        updated_at: item.at,
        sent_at: null,
      })
      .onConflict((conflict) =>
        conflict.columns(['forge', 'kind', 'target']).doUpdateSet((eb) => ({
          payload: eb.ref('excluded.payload'),
          version: eb(eb.ref('outbox.version'), '+', 1),
          status: 'pending',
          attempts: 0,
          next_attempt_at: eb.ref('excluded.next_attempt_at'),
          last_error: null,
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async claimDue(
    now: string,
    leaseUntil: string,
    limit: number,
    exceptForges: readonly string[] = [],
  ): Promise<OutboxItem[]> {
    let due = this.db
      .selectFrom('outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .orderBy('next_attempt_at')
      .limit(limit);
    if (exceptForges.length > 0) due = due.where('forge', 'not in', [...exceptForges]);
    if (storageDialectOf(this.db) === 'postgres') due = due.forUpdate().skipLocked();
    const ids = (await due.execute()).map((row) => row.id);
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('outbox')
      .set({ lease_until: leaseUntil })
      .where('id', 'in', ids)
      .returningAll()
      .execute();
    return rows.map(fromRow).sort((a, b) => a.nextAttemptAt.localeCompare(b.nextAttemptAt));
  }

  async markSent(
    id: string,
    version: number,
    remoteId: string | null,
    at: string,
    remoteUrl: string | null = null,
  ): Promise<void> {
    const sent = await this.db
      .updateTable('outbox')
      .set((eb) => ({
        status: 'sent',
        attempts: eb(eb.ref('attempts'), '+', 1),
        lease_until: null,
        last_error: null,
        remote_id: remoteId ?? eb.ref('remote_id'),
        remote_url: remoteUrl ?? eb.ref('remote_url'),
        create_in_doubt: remoteId === null ? eb.ref('create_in_doubt') : 0,
        sent_at: at,
        updated_at: at,
      }))
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (Number(sent.numUpdatedRows) > 0) return;
    // Enqueued again while it was being sent: the newer payload goes next, to the same comment.
    await this.db
      .updateTable('outbox')
      .set((eb) => ({
        lease_until: null,
        remote_id: remoteId ?? eb.ref('remote_id'),
        remote_url: remoteUrl ?? eb.ref('remote_url'),
        create_in_doubt: remoteId === null ? eb.ref('create_in_doubt') : 0,
      }))
      .where('id', '=', id)
      .execute();
  }

  async setCreateInDoubt(id: string, inDoubt: boolean): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({ create_in_doubt: inDoubt ? 1 : 0 })
      .where('id', '=', id)
      .execute();
  }

  async markFailed(
    id: string,
    version: number,
    error: string,
    retry: { nextAttemptAt: string } | 'dead',
    at: string,
  ): Promise<void> {
    const lastError = error.slice(0, 1000);
    await this.db
      .updateTable('outbox')
      .set((eb) => ({
        attempts: eb(eb.ref('attempts'), '+', 1),
        lease_until: null,
        last_error: lastError,
        updated_at: at,
        ...(retry === 'dead' ? { status: 'dead' } : { next_attempt_at: retry.nextAttemptAt }),
      }))
      .where('id', '=', id)
      .where('version', '=', version)
      .execute();
    // Enqueued again meanwhile: the failure is noted, the new payload is due now.
    await this.db
      .updateTable('outbox')
      .set({ lease_until: null, last_error: lastError })
      .where('id', '=', id)
      .where('version', '<>', version)
      .execute();
  }

  async postpone(
    id: string,
    version: number,
    nextAttemptAt: string,
    error: string | null,
    at: string,
  ): Promise<void> {
    await this.db
      .updateTable('outbox')
      .set({
        lease_until: null,
        next_attempt_at: nextAttemptAt,
        ...(error === null ? {} : { last_error: error.slice(0, 1000), updated_at: at }),
      })
      .where('id', '=', id)
      .where('version', '=', version)
      .execute();
    await this.db
      .updateTable('outbox')
      .set({ lease_until: null })
      .where('id', '=', id)
      .where('version', '<>', version)
      .execute();
  }

  async findByTarget(kind: string, target: string): Promise<OutboxItem | undefined> {
    const row = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('kind', '=', kind)
      .where('target', '=', target)
      .orderBy('updated_at', 'desc')
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async get(id: string): Promise<OutboxItem | undefined> {
    const row = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async list(query: { status?: OutboxStatus; limit: number }): Promise<OutboxItem[]> {
    let select = this.db.selectFrom('outbox').selectAll();
    if (query.status !== undefined) select = select.where('status', '=', query.status);
    const rows = await select
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .execute();
    return rows.map(fromRow);
  }

  async retry(id: string, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable('outbox')
      .set({
        status: 'pending',
        attempts: 0,
        next_attempt_at: at,
        lease_until: null,
        updated_at: at,
      })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

function fromRow(row: Selectable<OutboxTable>): OutboxItem {
  return {
    id: row.id,
    forge: row.forge,
    kind: row.kind,
    target: row.target,
    payload: JSON.parse(row.payload) as unknown,
    version: Number(row.version),
    status: row.status as OutboxStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    leaseUntil: row.lease_until,
    lastError: row.last_error,
    remoteId: row.remote_id,
    createInDoubt: Number(row.create_in_doubt) === 1,
    remoteUrl: row.remote_url ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sentAt: row.sent_at,
  };
}
