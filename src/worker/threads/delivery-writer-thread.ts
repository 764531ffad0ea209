// The delivery writer thread (started by storage/sqlite/serve-mode): the inbox's commits, off the
// HTTP event loop. better-sqlite3 answers synchronously, so on the main thread every group commit
// (and its fsync) stopped HTTP for as long as it took; here the thread has its own connection and
// the main thread only waits for a message. It also parses the bodies the request path did not
// (checking they are JSON, finding their repository): that is the inbox's part, so this script
// lives here and the storage seam only runs it.
import { workerData } from 'node:worker_threads';
import { webhookProviders } from '../../providers/index.js';
import {
  checkBatch,
  type InboxItem,
  type InboxResult,
  insertBatch,
} from '../../services/inbox/store-deliveries.js';
import type { DeliveryWriterData } from '../../storage/sqlite/serve-mode/delivery-writer.js';
import { openThreadWriter } from '../../storage/sqlite/serve-mode/thread-writer.js';
import { serveThread } from '../../threads/thread-channel.js';

const writer = await openThreadWriter(workerData as DeliveryWriterData);

serveThread<InboxItem[], InboxResult[]>({
  request(items) {
    // Parsed before the lock is asked for: while the inbox worker finishes its transaction.
    // Functions do not cross to a thread: it inspects with the table of src/providers.
    const batch = checkBatch(items, webhookProviders);
    return writer.commit((deliveries) => insertBatch(deliveries, batch));
  },
  close: () => writer.close(),
}).ready();
