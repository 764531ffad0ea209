// Main-thread side of the delivery writer thread: `write(items)` resolves when the thread has
// committed them. The thread runs one commit at a time; the inbox keeps one in flight.
import { Worker } from 'node:worker_threads';
import type { InboxItem, InboxResult } from '../../services/inbox/store-deliveries.js';
import type { DeliveryWriterData, WriteRequest, WriteResponse } from './thread-messages.js';

interface Pending {
  resolve(results: InboxResult[]): void;
  reject(error: Error): void;
}

export class ThreadedDeliveryWriter {
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: WriteResponse | 'ready') => {
      if (message === 'ready') return;
      const waiting = this.pending.get(message.seq);
      if (waiting === undefined) return;
      this.pending.delete(message.seq);
      if ('error' in message) waiting.reject(new Error(message.error));
      else waiting.resolve(message.results);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) =>
      this.fail(new Error(`the delivery writer thread exited (${code})`)),
    );
  }

  /** Starts the thread and waits until its connection is open. */
  static async start(
    filename: string,
    writeLock: SharedArrayBuffer,
  ): Promise<ThreadedDeliveryWriter> {
    const data: DeliveryWriterData = { filename, writeLock };
    const worker = new Worker(new URL('./delivery-writer-thread.js', import.meta.url), {
      workerData: data,
      // It holds one batch at a time: a small young generation keeps its memory small.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if (message !== 'ready') return;
        worker.off('error', reject);
        worker.off('message', onMessage);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    return new ThreadedDeliveryWriter(worker);
  }

  write(items: InboxItem[]): Promise<InboxResult[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const seq = ++this.seq;
    const request: WriteRequest = { seq, items };
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    if (this.failure !== undefined) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('close');
    await exited;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
