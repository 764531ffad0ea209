// Stands in for the delivery writer thread: answers writes, and dies (holding the write lock)
// when it is asked to store a delivery whose id is "crash".
import { parentPort, workerData } from 'node:worker_threads';

const lock = new Int32Array(workerData.writeLock);
parentPort.on('message', (message) => {
  if (message === 'close') {
    parentPort.close();
    return;
  }
  if (message.items.some((item) => item.delivery.id === 'crash')) {
    Atomics.store(lock, 0, 1);
    process.exit(1);
  }
  parentPort.postMessage({
    seq: message.seq,
    results: message.items.map((item) => ({ id: item.delivery.id, duplicate: false })),
  });
});
parentPort.postMessage('ready');
