// Stands in for the inbox worker thread: says it is ready, reports one (empty) batch, and dies.
import { parentPort } from 'node:worker_threads';

parentPort.postMessage({ kind: 'ready' });
parentPort.postMessage({ kind: 'event', body: { type: 'outcomes', outcomes: [] } });
setTimeout(() => process.exit(1), 20);
