// Stands in for the delivery writer thread (the protocol of src/threads/thread-channel.ts):
// answers writes, and dies (holding the write lock) when asked to store a delivery whose id is
// "crash".
import { parentPort, workerData } from 'node:worker_threads';

const lock = new Int32Array(workerData.writeLock);
parentPort.on('message', (message) => {
  if (message.kind === 'close') {
    parentPort.close();
    return;
  }
  if (message.body.some((item) => item.delivery.id === 'crash')) {
    Atomics.store(lock, 0, 1);
    process.exit(1);
  }
  parentPort.postMessage({
    kind: 'reply',
    id: message.id,
    result: message.body.map((item) => ({ id: item.delivery.id, duplicate: false })),
  });
});
parentPort.postMessage({ kind: 'ready' });
