// Migration 0008 moves the bodies of deliveries stored before it into delivery_payloads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { expect, it } from 'vitest';
import type { Database } from '../../src/storage/database.js';
import { StaticMigrationProvider } from '../../src/storage/migrations/index.js';
import { createSqliteStore } from '../../src/storage/sqlite/create-sqlite-store.js';

it('keeps the body of a delivery stored before payloads had a table of their own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-payloads-'));
  const filename = join(dir, 'storyflow.db');
  try {
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new SqliteDatabase(filename) }),
    });
    const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
    expect((await migrator.migrateTo('0007_handled_events')).error).toBeUndefined();
    const body = JSON.stringify({ zen: 'Design for failure.', padding: 'x'.repeat(5000) });
    await db
      .insertInto('deliveries')
      .values({
        id: 'dlv_old',
        provider: 'github',
        delivery_id: 'g-old',
        event: 'ping',
        headers: '{}',
        body,
        received_at: '2026-11-01T00:00:00.000Z',
        source_address: null,
        repository: null,
        status: 'processed',
        attempts: 1,
        next_attempt_at: '2026-11-01T00:00:00.000Z',
      } as never)
      .execute();
    await db.destroy();

    const store = await createSqliteStore({ filename });
    try {
      expect((await store.deliveries.getDelivery('dlv_old'))?.body).toBe(body);
      const columns = await store.kysely.introspection.getTables();
      const deliveries = columns.find((table) => table.name === 'deliveries');
      expect(deliveries?.columns.map((column) => column.name)).not.toContain('body');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
