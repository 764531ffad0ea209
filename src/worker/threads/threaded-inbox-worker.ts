// Main-thread side of the inbox worker thread: start, wake after new deliveries, stop on close.
// A thread that dies is started again after a second: its claims are taken over when their
// leases run out, so nothing is lost, only delayed.
import type { Worker } from 'node:worker_threads';
import type { Config } from '../../config/config.js';
import type { DeliveryOutcome } from '../../storage/delivery-repository.js';
import { SharedWriteLock } from './shared-write-lock.js';
import { startThread } from './start-thread.js';
import type {
  InboxWorkerThreadData,
  WorkerThreadCommand,
  WorkerThreadEvent,
} from './thread-messages.js';

export interface ThreadedInboxWorkerOptions {
  config: Config;
  owner: string;
  niceness: number;
  writeLock: SharedArrayBuffer | null;
  onError(error: Error): void;
  onOutcomes(outcomes: { provider: string; status: DeliveryOutcome['status'] }[]): void;
  /** Delay before a thread that died is started again (default 1 s). */
  restartDelayMs?: number;
  /** The thread's script (tests substitute one). */
  script?: URL;
}

const SCRIPT = new URL('./inbox-worker-thread.js', import.meta.url);

export class ThreadedInboxWorker {
  private worker: Worker | undefined;
  private stopped: Promise<void> | undefined;
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
    this.send({ type: 'wake' });
  }

  /** Stops claiming; resolves when the thread has finished its batch and exited. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    if (this.worker === undefined) return;
    this.send({ type: 'stop' });
    await this.stopped;
  }

  private spawn(): Promise<void> {
    const data: InboxWorkerThreadData = {
      config: this.options.config,
      owner: this.options.owner,
      niceness: this.options.niceness,
      writeLock: this.options.writeLock,
    };
    const thread = startThread<WorkerThreadEvent>({
      name: 'inbox worker',
      script: this.options.script ?? SCRIPT,
      workerData: data,
      youngGenerationMb: 4,
      isReady: (event) => event.type === 'ready',
      onMessage: (event) => {
        if (event.type === 'outcomes') this.options.onOutcomes(event.outcomes);
        else if (event.type === 'error') {
          const error = new Error(event.message);
          if (event.stack !== undefined) error.stack = event.stack;
          this.options.onError(error);
        }
      },
      onExit: (worker, error) => {
        if (this.worker === worker) this.worker = undefined;
        if (!this.running) return;
        if (this.options.writeLock !== null) {
          new SharedWriteLock(this.options.writeLock).forceRelease();
        }
        this.options.onError(new Error(`${error.message}; starting another`, { cause: error }));
        this.restartTimer = setTimeout(() => {
          if (this.running) this.spawn().catch((cause) => this.options.onError(cause as Error));
        }, this.options.restartDelayMs ?? 1000);
        this.restartTimer.unref();
      },
    });
    this.worker = thread.worker;
    this.stopped = thread.exited;
    return thread.ready;
  }

  private send(command: WorkerThreadCommand): void {
    this.worker?.postMessage(command);
  }
}
