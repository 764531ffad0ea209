// Main-thread side of the delivery writer thread: `write(items)` resolves when the thread has
// committed them. The thread runs one commit at a time; the inbox keeps one in flight. A thread
// that dies (out of memory, a native crash) fails the commit in flight — those requests get 503
// and the provider retries — and the next commit starts a new thread.
import type { InboxItem, InboxResult } from '../../services/inbox/store-deliveries.js';
import { SharedWriteLock } from './shared-write-lock.js';
import { type StartedThread, startThread } from './start-thread.js';
import type { DeliveryWriterData, WriteRequest, WriteResponse } from './thread-messages.js';

interface Pending {
  resolve(results: InboxResult[]): void;
  reject(error: Error): void;
}

export interface ThreadedDeliveryWriterOptions {
  filename: string;
  /** A SharedWriteLock's buffer, shared with the inbox worker thread. */
  writeLock: SharedArrayBuffer;
  /** Called when a thread died and a new one will be started. */
  onThreadExit?: (error: Error) => void;
  /** The thread's script (tests substitute one). */
  script?: URL;
}

const SCRIPT = new URL('./delivery-writer-thread.js', import.meta.url);

export class ThreadedDeliveryWriter {
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  /** The running thread, until it exits. */
  private thread: StartedThread | undefined;
  private closing = false;

  private constructor(private readonly options: ThreadedDeliveryWriterOptions) {}

  /** Starts the thread and waits until its connection is open. */
  static async start(options: ThreadedDeliveryWriterOptions): Promise<ThreadedDeliveryWriter> {
    const writer = new ThreadedDeliveryWriter(options);
    await writer.spawn().ready;
    return writer;
  }

  write(items: InboxItem[]): Promise<InboxResult[]> {
    if (this.closing) return Promise.reject(new Error('the delivery writer is closed'));
    const { worker } = this.thread ?? this.spawn();
    const seq = ++this.seq;
    const request: WriteRequest = { seq, items };
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const thread = this.thread;
    if (thread === undefined) return;
    thread.worker.postMessage('close');
    await thread.exited;
  }

  private spawn() {
    const data: DeliveryWriterData = {
      filename: this.options.filename,
      writeLock: this.options.writeLock,
    };
    const thread = startThread<WriteResponse | 'ready'>({
      name: 'delivery writer',
      script: this.options.script ?? SCRIPT,
      workerData: data,
      // It holds one batch at a time.
      youngGenerationMb: 4,
      isReady: (message) => message === 'ready',
      onMessage: (message) => {
        if (message === 'ready') return;
        const waiting = this.pending.get(message.seq);
        if (waiting === undefined) return;
        this.pending.delete(message.seq);
        if ('error' in message) waiting.reject(new Error(message.error));
        else waiting.resolve(message.results);
      },
      onExit: (worker, error) => {
        if (this.thread?.worker === worker) this.thread = undefined;
        for (const waiting of this.pending.values()) waiting.reject(error);
        this.pending.clear();
        if (this.closing) return;
        // A thread that died holding the write lock would hold it for ever; SQLite's own
        // locking still keeps writers apart.
        new SharedWriteLock(this.options.writeLock).forceRelease();
        this.options.onThreadExit?.(error);
      },
    });
    this.thread = thread;
    return thread;
  }
}
