// Main-thread side of the delivery writer thread: `write(items)` resolves when the thread has
// committed them. The thread runs one commit at a time; the inbox keeps one in flight. A thread
// that dies (out of memory, a native crash) fails the commit in flight — those requests get 503
// and the provider retries — and the next commit starts a new thread.
import { ThreadChannel } from '../../../threads/thread-channel.js';
import { SharedWriteLock } from './shared-write-lock.js';

/** What the writer thread's script is given (see worker/threads/delivery-writer-thread.ts). */
export interface DeliveryWriterData {
  filename: string;
  /** A SharedWriteLock's buffer, shared with the inbox worker thread. */
  writeLock: SharedArrayBuffer;
}

export interface DeliveryWriterOptions {
  filename: string;
  /** A SharedWriteLock's buffer, shared with the inbox worker thread. */
  writeLock: SharedArrayBuffer;
  /**
   * The thread's script: it answers each request (a batch) with the batch's results, holding
   * the write lock urgently while it commits (openThreadWriter).
   */
  script: URL;
  /** Called when a thread died and a new one will be started. */
  onThreadExit?: (error: Error) => void;
}

export class DeliveryWriter<Item, Result> {
  /** The running thread, until it exits. */
  private thread: ThreadChannel<Item[], Result[]> | undefined;
  private closing = false;

  private constructor(private readonly options: DeliveryWriterOptions) {}

  /** Starts the thread and waits until its connection is open. */
  static async start<Item, Result>(
    options: DeliveryWriterOptions,
  ): Promise<DeliveryWriter<Item, Result>> {
    const writer = new DeliveryWriter<Item, Result>(options);
    await writer.spawn().ready;
    return writer;
  }

  write(items: Item[]): Promise<Result[]> {
    if (this.closing) return Promise.reject(new Error('the delivery writer is closed'));
    return (this.thread ?? this.spawn()).request(items);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.thread?.close();
  }

  private spawn(): ThreadChannel<Item[], Result[]> {
    const data: DeliveryWriterData = {
      filename: this.options.filename,
      writeLock: this.options.writeLock,
    };
    const thread: ThreadChannel<Item[], Result[]> = new ThreadChannel({
      name: 'delivery writer',
      script: this.options.script,
      workerData: data,
      // It holds one batch at a time.
      youngGenerationMb: 4,
      onExit: (error) => {
        if (this.thread === thread) this.thread = undefined;
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
