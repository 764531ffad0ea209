// A thread that takes a SharedWriteLock urgently, as the webhook writer thread does, opens a
// write transaction on a SQLite file, tells its parent, holds both for `holdMs`, then commits
// and releases. Plain JavaScript over the built dist/ (npm test builds first).
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { SharedWriteLock } from '../../../dist/storage/sqlite/serve-mode/shared-write-lock.js';

const { buffer, filename, holdMs } = workerData;
const lock = new SharedWriteLock(buffer);
const db = new SqliteDatabase(filename);
await lock.runUrgent(async () => {
  db.exec('begin immediate');
  db.prepare('insert into probe (source) values (?)').run('thread');
  parentPort?.postMessage('holding');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, holdMs);
  db.exec('commit');
});
db.close();
