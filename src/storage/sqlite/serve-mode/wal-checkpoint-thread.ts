// Copies the SQLite WAL back into the database file, in a thread of its own. A checkpoint writes
// the pages and fsyncs the database file: tens of milliseconds after a burst. Run by SQLite
// itself at a commit (wal_autocheckpoint), it held up that commit and every webhook waiting for
// it (the p90 of a 32-delivery commit went from 2–3 ms to 14 ms). A PASSIVE checkpoint takes no
// write lock, so here it runs beside the commits; and a WAL that has been copied back is
// rewritten from its start, so commits overwrite blocks the file already has.
// The same thread counts the inbox backlog when asked (docs/architecture.md, "Threads", says
// why here): that count reads the whole backlog's index (5 ms at 100,000 deliveries waiting,
// 50 ms at a million), which must block neither the event loop nor the webhook commits.
import { workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { serveThread } from '../../../threads/thread-channel.js';
import type { Database } from '../../database.js';
import { KyselyDeliveryRepository } from '../../kysely-delivery-repository.js';
import type { CheckpointRequest, WalCheckpointData } from './wal-checkpointer.js';

const { filename, intervalMs } = workerData as WalCheckpointData;

const db = new SqliteDatabase(filename);
db.pragma('wal_autocheckpoint = 0');
const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
// The count is the repository's own query (the thread may start before the migrations ran:
// it is compiled at the first count).
const deliveries = new KyselyDeliveryRepository(
  new Kysely<Database>({ dialect: new SqliteDialect({ database: db }) }),
);

// A checkpoint with nothing to copy costs microseconds; one that copies runs as long as it must,
// and the next starts intervalMs after it ends.
let timer: NodeJS.Timeout | undefined;
const tick = () => {
  checkpoint.get();
  timer = setTimeout(tick, intervalMs);
};
timer = setTimeout(tick, intervalMs);

serveThread<CheckpointRequest, number>({
  request: () => deliveries.countBacklog(),
  close() {
    clearTimeout(timer);
    checkpoint.get();
    db.close();
  },
}).ready();
