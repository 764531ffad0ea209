import { Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../database.js';
import { keepRollbackCause } from '../keep-cause-dialect.js';
import { KyselyStore } from '../kysely-store.js';
import { migrateToLatest } from '../migrations/index.js';
import { CurrentSchemaPostgresDialect } from './current-schema-dialect.js';

export interface PostgresStoreOptions {
  /** `postgres://…` or `postgresql://…` connection string. */
  connectionString: string;
  /**
   * Schema to keep the tables in (created when missing); every pooled connection gets it as
   * its only `search_path` entry. Default: the server's search_path (normally `public`).
   */
  schema?: string;
  /** Maximum pooled connections (default 10). */
  poolSize?: number;
  /** Run migrations before returning (default true). */
  migrate?: boolean;
  /**
   * Called when a pooled connection fails, idle or checked out (the server restarts, a failover,
   * the network). Every connection has a listener whether or not this is given: without one, pg
   * re-throws the error and the process dies. The statement or transaction in flight on that
   * connection fails, the pool drops the connection, and the next query opens a new one.
   */
  onConnectionError?: (error: Error) => void;
  /** How long a query waits for a connection (a new one, or a free one of the pool); default 10 s. */
  connectionTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertValidSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(
      `Invalid PostgreSQL schema name "${schema}": use lowercase letters, digits and underscores (at most 63, not starting with a digit).`,
    );
  }
}

/** Opens a pg Pool, prepares the optional schema and wraps it in a migrated KyselyStore. */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<KyselyStore> {
  const { schema } = options;
  if (schema !== undefined) assertValidSchemaName(schema);
  const max = options.poolSize ?? 10;
  if (!Number.isInteger(max) || max < 1) {
    throw new Error(`PostgreSQL pool size must be a positive integer, got ${options.poolSize}`);
  }

  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max,
    // An unreachable server (a failover in progress) fails requests instead of hanging them.
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    keepAlive: true,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // Every client gets a listener from its first moment: a checked-out client's error (between
  // two statements of a transaction) reaches only the client. The pool re-emits an idle
  // client's error, which that listener has reported already.
  pool.on('connect', (client) => client.on('error', (error) => options.onConnectionError?.(error)));
  pool.on('error', () => {});

  const db = new Kysely<Database>({
    dialect: keepRollbackCause(new CurrentSchemaPostgresDialect({ pool })),
  });
  const store = new KyselyStore(db, 'postgres');
  try {
    if (schema !== undefined) await ensureSchema(db, schema);
    if (options.migrate ?? true) await migrateToLatest(db);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

async function ensureSchema(db: Kysely<Database>, schema: string): Promise<void> {
  const exists = async () => {
    const { rows } = await sql<{
      found: number;
    }>`select 1 as found from pg_namespace where nspname = ${schema}`.execute(db);
    return rows.length > 0;
  };
  if (await exists()) return;
  try {
    await db.schema.createSchema(schema).ifNotExists().execute();
  } catch (error) {
    // Two instances creating the schema at once: IF NOT EXISTS can still fail with a unique
    // violation in the catalog. Fine, as long as the schema is there now.
    if (!(await exists())) throw error;
  }
}
