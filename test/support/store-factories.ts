// Opens a fresh Store per dialect so one behaviour suite runs on SQLite and PostgreSQL.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.js';
import type { Store } from '../../src/storage/store.js';

export type StoreDialectName = 'sqlite' | 'postgres';

export interface StoreFactory {
  name: StoreDialectName;
  /** A new, empty, migrated store; `close()` also removes whatever it created. */
  open(): Promise<Store>;
}

export const POSTGRES_URL_VARIABLE = 'STORYFLOW_TEST_POSTGRES_URL';

/** The PostgreSQL URL for tests, or undefined when PostgreSQL tests should be skipped. */
export function postgresTestUrl(): string | undefined {
  const url = process.env[POSTGRES_URL_VARIABLE]?.trim();
  return url ? url : undefined;
}

let schemaCounter = 0;

/** A schema name no other test (or test process) uses. */
export function uniqueSchemaName(prefix = 'sf_test'): string {
  schemaCounter += 1;
  return `${prefix}_${process.pid}_${schemaCounter}_${randomBytes(4).toString('hex')}`;
}

/** Drops a test schema and everything in it. */
export async function dropPostgresSchema(schema: string, url = postgresTestUrl()): Promise<void> {
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema.replaceAll('"', '""')}" cascade`);
  } finally {
    await client.end();
  }
}

/** Opens a PostgreSQL store in `schema` (created when missing); close() leaves the schema. */
export async function openPostgresStoreInSchema(schema: string): Promise<Store> {
  const url = postgresTestUrl();
  if (!url) throw new Error(`${POSTGRES_URL_VARIABLE} is not set`);
  return openStore(url, { schema, poolSize: 5 });
}

export function storeFactories(): StoreFactory[] {
  const factories: StoreFactory[] = [{ name: 'sqlite', open: () => openStore('sqlite::memory:') }];
  const url = postgresTestUrl();
  if (url) {
    factories.push({
      name: 'postgres',
      async open() {
        const schema = uniqueSchemaName();
        try {
          const store = await openPostgresStoreInSchema(schema);
          return withCleanup(store, () => dropPostgresSchema(schema, url));
        } catch (error) {
          await dropPostgresSchema(schema, url);
          throw error;
        }
      },
    });
  }
  return factories;
}

let skipNoticePrinted = false;

/** Says once per test process that the PostgreSQL suites are skipped, and how to run them. */
export function postgresSkipNotice(): void {
  if (skipNoticePrinted || postgresTestUrl()) return;
  skipNoticePrinted = true;
  console.warn(
    `PostgreSQL tests skipped: set ${POSTGRES_URL_VARIABLE}=postgres://… to run them ` +
      `(e.g. ${POSTGRES_URL_VARIABLE}=postgres://postgres@127.0.0.1:5432/test npx vitest run)`,
  );
}

/**
 * Declares `describe(`${title} (sqlite)`)` and `describe(`${title} (postgres)`)`; without
 * PostgreSQL the second one is a visible `describe.skip` naming the variable to set.
 *
 *   describeEachStore('story store', (open) => {
 *     it('…', async () => { const store = await open(); try { … } finally { await store.close(); } });
 *   });
 */
export function describeEachStore(
  title: string,
  fn: (open: () => Promise<Store>, factory: StoreFactory) => void,
): void {
  for (const factory of storeFactories()) {
    describe(`${title} (${factory.name})`, () => fn(() => factory.open(), factory));
  }
  if (!postgresTestUrl()) {
    postgresSkipNotice();
    describe.skip(`${title} (postgres: set ${POSTGRES_URL_VARIABLE})`, () => {
      it('runs against PostgreSQL', () => {});
    });
  }
}

/** The same store, with `cleanup` run once after it closes (whatever methods Store grows). */
function withCleanup(store: Store, cleanup: () => Promise<void>): Store {
  const close = store.close.bind(store);
  let closing: Promise<void> | undefined;
  store.close = () => {
    closing ??= (async () => {
      try {
        await close();
      } finally {
        await cleanup();
      }
    })();
    return closing;
  };
  return store;
}
