// Stands in for the WAL checkpoint thread: says it is ready, then dies.
import { parentPort } from 'node:worker_threads';

parentPort.postMessage({ kind: 'ready' });
setTimeout(() => process.exit(1), 20);
