// Copies the SQLite WAL back into the database file, in a thread of its own. A checkpoint writes
// the pages and fsyncs the database file: tens of milliseconds after a burst. Run by SQLite
// itself at a commit (wal_autocheckpoint), it held up that commit and every webhook waiting for
// it (the p90 of a 32-delivery commit went from 2–3 ms to 14 ms). A PASSIVE checkpoint takes no
// write lock, so here it runs beside the commits; and a WAL that has been copied back is
// rewritten from its start, so commits overwrite blocks the file already has.
// The same thread counts the inbox backlog when asked: that count reads the whole backlog's
// index (5 ms at 100,000 deliveries waiting, 50 ms at a million), which must block neither the
// event loop nor the webhook commits.
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { BACKLOG_STATUSES } from '../../storage/delivery-repository.js';
import type {
  WalCheckpointCommand,
  WalCheckpointData,
  WalCheckpointMessage,
} from './thread-messages.js';

const { filename, intervalMs } = workerData as WalCheckpointData;
const port = parentPort;
if (port === null) throw new Error('wal-checkpoint-thread must run in a worker thread');

const db = new SqliteDatabase(filename);
db.pragma('wal_autocheckpoint = 0');
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
// Prepared at the first count: the thread may start before the migrations have run.
let backlogCount: SqliteDatabase.Statement<unknown[], number> | undefined;
const countBacklog = (): number => {
  backlogCount ??= db
    .prepare<unknown[], number>(
      `select count(*) from deliveries where status in (${BACKLOG_STATUSES.map(() => '?').join(', ')})`,
    )
    .pluck();
  return backlogCount.get(...BACKLOG_STATUSES) ?? 0;
};
const post = (message: WalCheckpointMessage) => port.postMessage(message);

// A checkpoint with nothing to copy costs microseconds; one that copies runs as long as it must,
// and the next starts intervalMs after it ends.
let timer: NodeJS.Timeout | undefined;
const tick = () => {
  checkpoint.get();
  timer = setTimeout(tick, intervalMs);
};
timer = setTimeout(tick, intervalMs);

port.on('message', (message: WalCheckpointCommand) => {
  if (message === 'close') {
    clearTimeout(timer);
    checkpoint.get();
    db.close();
    port.close();
    return;
  }
  try {
    post({ type: 'backlog', id: message.id, count: countBacklog() });
  } catch (error) {
    post({ type: 'backlog', id: message.id, error: (error as Error).message });
  }
});
post('ready');
