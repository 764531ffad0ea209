// The inbox's commits, off the HTTP event loop. better-sqlite3 answers synchronously, so on the
// main thread every group commit (and its fsync) stopped HTTP for as long as it took; here the
// thread has its own connection and the main thread only waits for a message. It also parses
// the bodies the request path did not (checking they are JSON, finding their repository).
import { parentPort, workerData } from 'node:worker_threads';
import { webhookProviders } from '../../providers/index.js';
import { checkBatch, insertBatch } from '../../services/inbox/store-deliveries.js';
import { SqliteDeliveryWriter } from '../../storage/sqlite/sqlite-delivery-writer.js';
import { SharedWriteLock } from './shared-write-lock.js';
import type { DeliveryWriterData, WriteRequest, WriteResponse } from './thread-messages.js';

const { filename, writeLock } = workerData as DeliveryWriterData;
const lock = new SharedWriteLock(writeLock);
const port = parentPort;
if (port === null) throw new Error('delivery-writer-thread must run in a worker thread');

// The main thread migrated the database before starting this thread. Checkpoints are the WAL
// checkpoint thread's (see wal-checkpoint-thread.ts); this connection's own only start when
// the WAL passes 40 MB, should that thread fall behind or die.
const writer = new SqliteDeliveryWriter(filename, { autoCheckpointPages: 10_000 });

port.on('message', async (message: WriteRequest | 'close') => {
  if (message === 'close') {
    writer.close();
    port.close();
    return;
  }
  let response: WriteResponse;
  try {
    // Parsed before the lock is asked for: while the inbox worker finishes its transaction.
    // Functions do not cross to a thread: it inspects with the table of src/providers.
    const batch = checkBatch(message.items, webhookProviders);
    const results = await lock.runUrgent(() => insertBatch(writer, batch));
    response = { seq: message.seq, results };
  } catch (error) {
    response = { seq: message.seq, error: (error as Error).message ?? String(error) };
  }
  port.postMessage(response);
});
port.postMessage('ready');
