// Migrations are registered statically (no directory scanning) so they run the same from
// src/ under tsx and from the compiled dist/.
import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResult,
  Migrator,
  sql,
} from 'kysely';
import { storageDialectOf } from '../database.js';
import * as stories0001 from './0001_stories.js';
import * as tokens0002 from './0002_tokens.js';
import * as audit0003 from './0003_audit.js';
import * as deliveries0004 from './0004_deliveries.js';
import * as idempotency0005 from './0005_idempotency.js';
import * as automation0006 from './0006_automation.js';
import * as handledEvents0007 from './0007_handled_events.js';
import * as deliveryPayloads0008 from './0008_delivery_payloads.js';
import * as idempotencyLeases0009 from './0009_idempotency_leases.js';
import * as latestFacts0010 from './0010_latest_facts.js';
import * as tokenParents0011 from './0011_token_parents.js';
import * as auditPeople0012 from './0012_audit_people.js';
import * as outbox0013 from './0013_outbox.js';
import * as repositorySync0014 from './0014_repository_sync.js';
import * as repositoryWritebacks0015 from './0015_repository_writebacks.js';
import * as repositoryConflicts0016 from './0016_repository_conflicts.js';
import * as outboxCreateInDoubt0017 from './0017_outbox_create_in_doubt.js';
import * as outboxRemoteUrl0018 from './0018_outbox_remote_url.js';

/** Every migration, keyed by name; Kysely applies them in name order. */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_stories': stories0001,
  '0002_tokens': tokens0002,
  '0003_audit': audit0003,
  '0004_deliveries': deliveries0004,
  '0005_idempotency': idempotency0005,
  '0006_automation': automation0006,
  '0007_handled_events': handledEvents0007,
  '0008_delivery_payloads': deliveryPayloads0008,
  '0009_idempotency_leases': idempotencyLeases0009,
  '0010_latest_facts': latestFacts0010,
  '0011_token_parents': tokenParents0011,
  '0012_audit_people': auditPeople0012,
  '0013_outbox': outbox0013,
  '0014_repository_sync': repositorySync0014,
  '0015_repository_writebacks': repositoryWritebacks0015,
  '0016_repository_conflicts': repositoryConflicts0016,
  '0017_outbox_create_in_doubt': outboxCreateInDoubt0017,
  '0018_outbox_remote_url': outboxRemoteUrl0018,
});

export class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...migrations };
  }
}

/**
 * Brings the database up to the latest migration; a no-op when it is already there.
 *
 * Safe when several instances start at once. PostgreSQL: Kysely's Migrator holds an advisory
 * lock and runs the migrations in a transaction; its bookkeeping tables are pinned to the
 * connection's current schema (otherwise Kysely would find another schema's tables and skip
 * creating its own). SQLite: everything runs inside one BEGIN IMMEDIATE transaction, which
 * locks the database file against other processes and keeps a failed migration from leaving
 * half a schema behind.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrationResult[]> {
  const provider = new StaticMigrationProvider();

  if (storageDialectOf(db) === 'postgres') {
    const { rows } = await sql<{
      schema: string | null;
    }>`select current_schema() as schema`.execute(db);
    const schema = rows[0]?.schema;
    if (!schema) {
      throw new Error('Cannot migrate: none of the schemas on the search_path exists.');
    }
    const migrator = new Migrator({ db, provider, migrationTableSchema: schema });
    return unwrap(await migrator.migrateToLatest());
  }

  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const migrator = new Migrator({ db: connection, provider });
      const results = unwrap(await migrator.migrateToLatest());
      await sql`commit`.execute(connection);
      return results;
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
  });
}

function unwrap(resultSet: { error?: unknown; results?: MigrationResult[] }): MigrationResult[] {
  if (resultSet.error !== undefined) {
    const failed = resultSet.results?.find((result) => result.status === 'Error');
    const message =
      resultSet.error instanceof Error ? resultSet.error.message : String(resultSet.error);
    throw new Error(
      `Database migration ${failed ? `${failed.migrationName} ` : ''}failed: ${message}`,
      { cause: resultSet.error },
    );
  }
  return resultSet.results ?? [];
}
