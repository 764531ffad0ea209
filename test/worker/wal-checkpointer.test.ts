// `serve`'s commits on a SQLite file leave WAL checkpoints to a thread of their own, so that no
// commit (and no webhook waiting for it) pays for one. That thread must copy the WAL back while
// others write, and be started again if it dies.
import { statSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { expect, it } from 'vitest';
import { WalCheckpointer } from '../../src/storage/sqlite/serve-mode/wal-checkpointer.js';
import { useTempDatabaseFiles } from '../support/temp-database-files.js';

// Worker threads load JavaScript: the built thread (npm test builds first).
const THREAD = new URL(
  '../../dist/storage/sqlite/serve-mode/wal-checkpoint-thread.js',
  import.meta.url,
);

const newDatabaseFile = useTempDatabaseFiles('checkpoint');

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; ) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

it('copies the WAL into the database file while another connection writes without checkpointing', async () => {
  const filename = newDatabaseFile();
  const db = new SqliteDatabase(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('create table payloads (id integer primary key, body blob not null)');
  const insert = db.prepare('insert into payloads (body) values (?)');
  const writeMegabytes = (count: number) =>
    db.transaction(() => {
      for (let i = 0; i < count * 128; i += 1) insert.run(Buffer.alloc(8192, i % 251));
    })();

  writeMegabytes(2);
  // Nothing checkpoints: the rows are in the WAL only.
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(statSync(filename).size).toBeLessThan(100_000);

  const checkpointer = await WalCheckpointer.start({ filename, intervalMs: 5, script: THREAD });
  try {
    expect(await until(() => statSync(filename).size > 2_000_000, 5000)).toBe(true);
    // And again for what is written while it runs.
    writeMegabytes(2);
    expect(await until(() => statSync(filename).size > 4_000_000, 5000)).toBe(true);
  } finally {
    await checkpointer.close();
    db.close();
  }
  const reopened = new SqliteDatabase(filename, { readonly: true });
  expect(reopened.prepare('select count(*) as n from payloads').get()).toEqual({ n: 512 });
  reopened.close();
});

it('counts the deliveries waiting to be processed (pending, failed, processing) in its thread', async () => {
  const filename = newDatabaseFile();
  const db = new SqliteDatabase(filename);
  db.pragma('journal_mode = WAL');
  // The thread starts before the table exists, as `serve` starts it before the migrations run.
  const checkpointer = await WalCheckpointer.start({ filename, intervalMs: 5, script: THREAD });
  try {
    db.exec('create table deliveries (id integer primary key, status text not null)');
    const insert = db.prepare('insert into deliveries (status) values (?)');
    const statuses = { pending: 3, failed: 2, processing: 1, processed: 4, ignored: 2, dead: 1 };
    db.transaction(() => {
      for (const [status, count] of Object.entries(statuses)) {
        for (let i = 0; i < count; i += 1) insert.run(status);
      }
    })();
    expect(await checkpointer.countBacklog()).toBe(6);
    // Counts asked together are each answered.
    insert.run('pending');
    expect(await Promise.all([checkpointer.countBacklog(), checkpointer.countBacklog()])).toEqual([
      7, 7,
    ]);
  } finally {
    await checkpointer.close();
    db.close();
  }
  await expect(checkpointer.countBacklog()).rejects.toThrow(/not running/);
});

it('a count the thread cannot answer is rejected with its reason, and the thread carries on', async () => {
  const filename = newDatabaseFile();
  new SqliteDatabase(filename).pragma('journal_mode = WAL');
  const checkpointer = await WalCheckpointer.start({ filename, intervalMs: 5, script: THREAD });
  try {
    await expect(checkpointer.countBacklog()).rejects.toThrow(
      /counting the backlog failed: no such table: deliveries/,
    );
    const db = new SqliteDatabase(filename);
    db.exec(
      "create table deliveries (status text not null); insert into deliveries values ('failed')",
    );
    db.close();
    expect(await checkpointer.countBacklog()).toBe(1);
  } finally {
    await checkpointer.close();
  }
});

it('a checkpoint thread that dies is started again until it is closed', async () => {
  const exits: Error[] = [];
  const checkpointer = await WalCheckpointer.start({
    filename: 'unused.db',
    restartDelayMs: 10,
    onThreadExit: (error) => exits.push(error),
    script: new URL('../support/threads/fake-wal-checkpoint.mjs', import.meta.url),
  });
  expect(await until(() => exits.length >= 3, 5000)).toBe(true);
  expect(exits[0]?.message).toMatch(/WAL checkpoint thread exited \(1\)/);
  await checkpointer.close();
  const afterClose = exits.length;
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(exits.length).toBeLessThanOrEqual(afterClose + 1);
});
