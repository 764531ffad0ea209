// Main-thread side of the WAL checkpoint thread (see wal-checkpoint-thread.ts), which also
// counts the inbox backlog. A thread that dies is started again after a second; meanwhile the
// writer's own automatic checkpoints, set high, still bound the WAL, and counts asked of it fail.
import { type StartedThread, startThread } from './start-thread.js';
import type {
  WalCheckpointCommand,
  WalCheckpointData,
  WalCheckpointMessage,
} from './thread-messages.js';

export interface WalCheckpointerOptions {
  filename: string;
  /** Pause between two checkpoints (default 10 ms). */
  intervalMs?: number;
  /** Called when the thread died and another will be started. */
  onThreadExit?: (error: Error) => void;
  /** Delay before a thread that died is started again (default 1 s). */
  restartDelayMs?: number;
  /** The thread's script (tests substitute one). */
  script?: URL;
}

const SCRIPT = new URL('./wal-checkpoint-thread.js', import.meta.url);

export class WalCheckpointer {
  /** The running thread, until it exits. */
  private thread: StartedThread | undefined;
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly counts = new Map<
    number,
    { resolve(count: number): void; reject(error: Error): void }
  >();
  private nextCountId = 0;

  private constructor(private readonly options: WalCheckpointerOptions) {}

  /** Starts the thread and waits until its connection is open. */
  static async start(options: WalCheckpointerOptions): Promise<WalCheckpointer> {
    const checkpointer = new WalCheckpointer(options);
    try {
      await checkpointer.spawn();
    } catch (error) {
      checkpointer.closing = true;
      throw error;
    }
    return checkpointer;
  }

  /** Deliveries waiting to be processed (pending, failed, processing), counted in the thread. */
  countBacklog(): Promise<number> {
    const thread = this.thread;
    if (thread === undefined || this.closing) {
      return Promise.reject(new Error('the WAL checkpoint thread is not running'));
    }
    this.nextCountId += 1;
    const id = this.nextCountId;
    return new Promise((resolve, reject) => {
      this.counts.set(id, { resolve, reject });
      const command: WalCheckpointCommand = { type: 'count-backlog', id };
      thread.worker.postMessage(command);
    });
  }

  /** Runs a last checkpoint and ends the thread. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    const thread = this.thread;
    if (thread === undefined) return;
    const command: WalCheckpointCommand = 'close';
    thread.worker.postMessage(command);
    await thread.exited;
  }

  private spawn(): Promise<void> {
    const data: WalCheckpointData = {
      filename: this.options.filename,
      intervalMs: this.options.intervalMs ?? 10,
    };
    const thread = startThread<WalCheckpointMessage>({
      name: 'WAL checkpoint',
      script: this.options.script ?? SCRIPT,
      workerData: data,
      youngGenerationMb: 1,
      isReady: (message) => message === 'ready',
      onMessage: (message) => {
        if (message === 'ready') return;
        const waiting = this.counts.get(message.id);
        this.counts.delete(message.id);
        if ('count' in message) waiting?.resolve(message.count);
        else waiting?.reject(new Error(`counting the backlog failed: ${message.error}`));
      },
      onExit: (worker, error) => {
        if (this.thread?.worker === worker) this.thread = undefined;
        for (const waiting of this.counts.values()) waiting.reject(error);
        this.counts.clear();
        if (this.closing) return;
        this.options.onThreadExit?.(error);
        this.restartTimer = setTimeout(() => {
          if (!this.closing) this.spawn().catch((cause) => this.options.onThreadExit?.(cause));
        }, this.options.restartDelayMs ?? 1000);
        this.restartTimer.unref();
      },
    });
    this.thread = thread;
    return thread.ready;
  }
}
