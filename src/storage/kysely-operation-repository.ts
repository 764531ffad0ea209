import type { Kysely, Selectable } from 'kysely';
import type { FieldChange, PlanStep } from '../domain/rules/plan-event.js';
import type { Database, OperationsTable } from './database.js';
import type {
  OperationQuery,
  OperationRecord,
  OperationRepository,
} from './operation-repository.js';
import { PrecompiledQuery } from './precompiled-query.js';

export class KyselyOperationRepository implements OperationRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertOperation(operation: OperationRecord): Promise<void> {
    await this.db
      .insertInto('operations')
      .values({
        id: operation.id,
        status: operation.status,
        trigger_kind: operation.triggerKind,
        delivery_id: operation.deliveryId,
        event_index: operation.eventIndex,
        rolls_back: operation.rollsBack,
        repository: operation.repository,
        environment: operation.environment,
        changes: JSON.stringify(operation.changes),
        steps: JSON.stringify(operation.steps),
        comments: JSON.stringify(operation.comments),
        created_at: operation.createdAt,
        rolled_back_at: operation.rolledBackAt,
        rolled_back_by: operation.rolledBackBy,
      })
      .execute();
    // Listed under every story it changed, commented on, or (a rollback) acted for.
    const stories = [
      ...new Set([
        ...operation.changes.map((change) => change.story),
        ...operation.comments.map((comment) => comment.story),
        ...operation.steps
          .filter((step) => step.skipped === undefined)
          .flatMap((step) => step.story.split(', '))
          .filter((story) => story !== '-' && story !== ''),
      ]),
    ];
    if (stories.length > 0) {
      await this.db
        .insertInto('operation_stories')
        .values(stories.map((story) => ({ operation_id: operation.id, story_id: story })))
        .execute();
    }
    const shas = [...new Set(operation.shas)];
    if (shas.length > 0) {
      await this.db
        .insertInto('operation_commits')
        .values(shas.map((sha) => ({ operation_id: operation.id, sha })))
        .execute();
    }
  }

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    const [operation] = await this.hydrate(
      await this.db.selectFrom('operations').selectAll().where('id', '=', id).execute(),
    );
    return operation;
  }

  async findByDelivery(deliveryId: string): Promise<OperationRecord[]> {
    const { rows } = await OPERATIONS_OF_DELIVERY.execute(this.db, { deliveryId });
    return this.hydrate(rows);
  }

  async listOperations(query: OperationQuery): Promise<OperationRecord[]> {
    let select = this.db.selectFrom('operations').selectAll('operations');
    if (query.story !== undefined) {
      const story = query.story;
      select = select.where((eb) =>
        eb.exists(
          eb
            .selectFrom('operation_stories')
            .select('operation_stories.story_id')
            .whereRef('operation_stories.operation_id', '=', 'operations.id')
            .where('operation_stories.story_id', '=', story),
        ),
      );
    }
    if (query.delivery !== undefined) select = select.where('delivery_id', '=', query.delivery);
    const before = query.before;
    if (before !== undefined) {
      select = select.where((eb) =>
        eb.or([
          eb('created_at', '<', before.createdAt),
          eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)]),
        ]),
      );
    }
    const rows = await select
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit)
      .execute();
    return this.hydrate(rows);
  }

  findAppliedBySha(repository: string, sha: string): Promise<OperationRecord[]> {
    return this.findByCommit(repository, sha, true);
  }

  findBySha(repository: string, sha: string): Promise<OperationRecord[]> {
    return this.findByCommit(repository, sha, false);
  }

  private async findByCommit(
    repository: string,
    sha: string,
    appliedOnly: boolean,
  ): Promise<OperationRecord[]> {
    let query = this.db
      .selectFrom('operations')
      .innerJoin('operation_commits', 'operation_commits.operation_id', 'operations.id')
      .selectAll('operations')
      .where('operation_commits.sha', '=', sha)
      .where('operations.repository', '=', repository);
    if (appliedOnly) query = query.where('operations.status', '=', 'applied');
    const rows = await query
      .orderBy('operations.created_at', 'desc')
      .orderBy('operations.id', 'desc')
      .execute();
    return this.hydrate(rows);
  }

  async findAppliedByTrigger(
    kind: string,
    repository: string,
    environment: string,
  ): Promise<OperationRecord[]> {
    const rows = await this.db
      .selectFrom('operations')
      .selectAll()
      .where('trigger_kind', '=', kind)
      .where('repository', '=', repository)
      .where('environment', '=', environment)
      .where('status', '=', 'applied')
      // Newest first, the same order on every database when two share a timestamp.
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return this.hydrate(rows);
  }

  async markRolledBack(id: string, at: string, by: string): Promise<boolean> {
    const result = await this.db
      .updateTable('operations')
      .set({ status: 'rolled_back', rolled_back_at: at, rolled_back_by: by })
      .where('id', '=', id)
      .where('status', '=', 'applied')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async markEventsHandled(
    deliveryId: string,
    eventIndexes: readonly number[],
    at: string,
  ): Promise<void> {
    // One statement per event: nearly always one, and each runs precompiled.
    for (const eventIndex of eventIndexes) {
      await MARK_HANDLED.execute(this.db, { deliveryId, eventIndex, at });
    }
  }

  async handledEvents(deliveryId: string): Promise<number[]> {
    const { rows } = await HANDLED_EVENTS.execute(this.db, { deliveryId });
    return rows.map((row) => Number(row.event_index));
  }

  private async hydrate(rows: Selectable<OperationsTable>[]): Promise<OperationRecord[]> {
    if (rows.length === 0) return [];
    const commits = await this.db
      .selectFrom('operation_commits')
      .select(['operation_id', 'sha'])
      .where(
        'operation_id',
        'in',
        rows.map((row) => row.id),
      )
      .execute();
    return rows.map((row) => ({
      id: row.id,
      status: row.status as OperationRecord['status'],
      triggerKind: row.trigger_kind,
      deliveryId: row.delivery_id,
      eventIndex: row.event_index === null ? null : Number(row.event_index),
      rollsBack: row.rolls_back,
      repository: row.repository,
      environment: row.environment,
      changes: JSON.parse(row.changes) as FieldChange[],
      steps: JSON.parse(row.steps) as PlanStep[],
      comments: JSON.parse(row.comments) as OperationRecord['comments'],
      shas: commits.filter((commit) => commit.operation_id === row.id).map((commit) => commit.sha),
      createdAt: row.created_at,
      rolledBackAt: row.rolled_back_at,
      rolledBackBy: row.rolled_back_by,
    }));
  }
}

// Run for every delivery the worker processes: compiled once (see precompiled-query.ts).
const OPERATIONS_OF_DELIVERY = new PrecompiledQuery<
  { deliveryId: string },
  Selectable<OperationsTable>
>(['deliveryId'], (db, { deliveryId }) =>
  db
    .selectFrom('operations')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('event_index'),
);

const HANDLED_EVENTS = new PrecompiledQuery<{ deliveryId: string }, { event_index: number }>(
  ['deliveryId'],
  (db, { deliveryId }) =>
    db.selectFrom('handled_events').select('event_index').where('delivery_id', '=', deliveryId),
);

const MARK_HANDLED = new PrecompiledQuery<{ deliveryId: string; eventIndex: number; at: string }>(
  ['deliveryId', 'eventIndex', 'at'],
  (db, { deliveryId, eventIndex, at }) =>
    db
      .insertInto('handled_events')
      .values({ delivery_id: deliveryId, event_index: eventIndex, handled_at: at })
      .onConflict((conflict) => conflict.columns(['delivery_id', 'event_index']).doNothing()),
);
