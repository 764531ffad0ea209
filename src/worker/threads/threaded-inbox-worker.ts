// Main-thread side of the inbox worker thread: start, wake after new deliveries, stop on close.
// A thread that dies is started again after a second: its claims are taken over when their
// leases run out, so nothing is lost, only delayed.
import type { Config } from '../../config/config.js';
import { releaseLockOfDeadThread } from '../../storage/sqlite/serve-mode/sqlite-serve-mode.js';
import { ThreadChannel } from '../../threads/thread-channel.js';
import type { ProcessedOutcome } from '../inbox-worker.js';

export interface InboxWorkerThreadData {
  config: Config;
  owner: string;
  /** Nice value for the thread (Linux): processing yields the CPU to HTTP under load. */
  niceness: number;
  /** Shared with the delivery writer thread when there is one (SQLite files). */
  writeLock: SharedArrayBuffer | null;
}

/** What the thread reports. */
export type InboxWorkerThreadEvent =
  | { type: 'outcomes'; outcomes: ProcessedOutcome[] }
  | { type: 'error'; message: string; stack: string | undefined };

/** What the thread is told besides `close`. */
export type InboxWorkerThreadCommand = 'wake';

export interface ThreadedInboxWorkerOptions extends InboxWorkerThreadData {
  onError(error: Error): void;
  onOutcomes(outcomes: ProcessedOutcome[]): void;
  /** Delay before a thread that died is started again (default 1 s). */
  restartDelayMs?: number;
  /** The thread's script (tests substitute one). */
  script?: URL;
}

const SCRIPT = new URL('./inbox-worker-thread.js', import.meta.url);

type Channel = ThreadChannel<never, never, InboxWorkerThreadCommand, InboxWorkerThreadEvent>;

export class ThreadedInboxWorker {
  private thread: Channel | undefined;
  private running = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ThreadedInboxWorkerOptions) {}

  /** Starts the thread; resolves once it is processing. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.spawn();
  }

  wake(): void {
    this.thread?.send('wake');
  }

  /** Stops claiming; resolves when the thread has finished its batch and exited. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    await this.thread?.close();
  }

  private spawn(): Promise<void> {
    const { config, owner, niceness, writeLock } = this.options;
    const data: InboxWorkerThreadData = { config, owner, niceness, writeLock };
    const thread: Channel = new ThreadChannel({
      name: 'inbox worker',
      script: this.options.script ?? SCRIPT,
      workerData: data,
      youngGenerationMb: 4,
      onEvent: (event) => {
        if (event.type === 'outcomes') this.options.onOutcomes(event.outcomes);
        else {
          const error = new Error(event.message);
          if (event.stack !== undefined) error.stack = event.stack;
          this.options.onError(error);
        }
      },
      onExit: (error) => {
        if (this.thread === thread) this.thread = undefined;
        if (!this.running) return;
        if (writeLock !== null) releaseLockOfDeadThread(writeLock);
        this.options.onError(new Error(`${error.message}; starting another`, { cause: error }));
        this.restartTimer = setTimeout(() => {
          if (this.running) this.spawn().catch((cause) => this.options.onError(cause as Error));
        }, this.options.restartDelayMs ?? 1000);
        this.restartTimer.unref();
      },
    });
    this.thread = thread;
    return thread.ready;
  }
}
