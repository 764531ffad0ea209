// A STORYFLOW_DATABASE_URL for a `serve` process of its own on the test PostgreSQL database: a
// fresh schema, set as every pooled connection's search_path (the server only creates a
// schema it was given as an option, not one named in the URL).
import pg from 'pg';
import { dropPostgresSchema, uniqueSchemaName } from './store-factories.js';

export async function postgresServeUrl(
  url: string,
  prefix = 'sf_serve',
): Promise<{ databaseUrl: string; drop(): Promise<void> }> {
  const schema = uniqueSchemaName(prefix);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create schema "${schema}"`);
  } finally {
    await client.end();
  }
  const options = encodeURIComponent(`-c search_path=${schema}`);
  return {
    databaseUrl: `${url}${url.includes('?') ? '&' : '?'}options=${options}`,
    drop: () => dropPostgresSchema(schema, url),
  };
}
