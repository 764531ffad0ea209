// SQLite commits are flushed to disk before they return (FULL), unless a connection asks for
// NORMAL: the inbox worker thread's, whose lost commits are simply processed again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import { openStore } from '../../src/storage/open-store.js';

async function autoCheckpointOf(store: KyselyStore): Promise<number> {
  const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(
    store.kysely,
  );
  return Number(rows[0]?.wal_autocheckpoint);
}

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

it('opens SQLite files with automatic WAL checkpoints at 1,000 pages, or none when asked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'storyflow-sync-'));
  const url = `sqlite:${join(dir, 'storyflow.db')}`;
  const automatic = (await openStore(url)) as KyselyStore;
  // The inbox worker thread's connection, and serve's main one: a checkpoint thread does it.
  const none = (await openStore(url, { sqliteAutoCheckpoint: false })) as KyselyStore;
  try {
    expect(await autoCheckpointOf(automatic)).toBe(1000);
    expect(await autoCheckpointOf(none)).toBe(0);
  } finally {
    await automatic.close();
    await none.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
