import { type Kysely, sql } from 'kysely';
import { storageDialectOf } from '../database.js';

// An in-flight Idempotency-Key claim holds a lease that its request renews while it runs, so
// the claim of a process that died is taken over when the lease runs out (seconds), instead of
// a fixed time after the claim was taken, which had to outlast the slowest live request.
// Claims stored before this migration have no lease: theirs ends the timeout after created_at.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Timestamps compare bytewise on both dialects.
  const time = storageDialectOf(db) === 'postgres' ? sql`text collate "C"` : sql`text`;
  await db.schema.alterTable('idempotency_keys').addColumn('lease_until', time).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('idempotency_keys').dropColumn('lease_until').execute();
}
