// Main-thread side of the WAL checkpoint thread (see wal-checkpoint-thread.ts), which also
// counts the inbox backlog. A thread that dies is started again after a second; meanwhile the
// writer's own automatic checkpoints, set high, still bound the WAL, and counts asked of it fail.
import { ThreadChannel } from '../../../threads/thread-channel.js';

export interface WalCheckpointData {
  filename: string;
  /** Pause between two checkpoints, in ms. */
  intervalMs: number;
}

/** The one request the thread answers: count the backlog. */
export type CheckpointRequest = 'count-backlog';

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
  private thread: ThreadChannel<CheckpointRequest, number> | undefined;
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;

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
    return thread
      .request('count-backlog')
      .catch((error: Error) =>
        Promise.reject(new Error(`counting the backlog failed: ${error.message}`)),
      );
  }

  /** Runs a last checkpoint and ends the thread. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    await this.thread?.close();
  }

  private spawn(): Promise<void> {
    const data: WalCheckpointData = {
      filename: this.options.filename,
      intervalMs: this.options.intervalMs ?? 10,
    };
    const thread: ThreadChannel<CheckpointRequest, number> = new ThreadChannel({
      name: 'WAL checkpoint',
      script: this.options.script ?? SCRIPT,
      workerData: data,
      youngGenerationMb: 1,
      onExit: (error) => {
        if (this.thread === thread) this.thread = undefined;
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
