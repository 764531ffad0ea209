// SQLite commits are flushed to disk before they return (FULL), unless a connection asks for
// NORMAL: the inbox worker thread's, whose lost commits are simply processed again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import { openStore } from '../../src/storage/open-store.js';

async function synchronousOf(store: KyselyStore): Promise<number> {
  const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.kysely);
  return Number(rows[0]?.synchronous);
}

it('opens SQLite files with synchronous FULL, or NORMAL when asked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-sync-'));
  const url = `sqlite:${join(dir, 'storyflow.db')}`;
  const full = (await openStore(url)) as KyselyStore;
  const normal = (await openStore(url, { sqliteSynchronous: 'normal' })) as KyselyStore;
  try {
    expect(await synchronousOf(full)).toBe(2); // FULL
    expect(await synchronousOf(normal)).toBe(1); // NORMAL
  } finally {
    await full.close();
    await normal.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
