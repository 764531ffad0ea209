// Several stores migrating their own schemas in one database while others are dropped: each
// migration must look only at its own schema (Kysely's introspector used to scan every schema
// and fail on one dropped or altered at that moment).
import { describe, expect, it } from 'vitest';
import { storeFactories } from '../support/store-factories.js';

const postgres = storeFactories().find((factory) => factory.name === 'postgres');

describe.runIf(postgres !== undefined)('PostgreSQL migrations in many schemas at once', () => {
  it('a migration never fails because another schema is being created, migrated or dropped', async () => {
    const failures: string[] = [];
    for (let round = 0; round < 8; round++) {
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          try {
            const store = await postgres!.open();
            await store.close(); // drops its schema while the others still migrate
          } catch (error) {
            failures.push((error as Error).message);
          }
        }),
      );
    }
    expect(failures).toEqual([]);
  }, 240_000);
});
