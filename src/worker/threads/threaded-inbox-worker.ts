// Main-thread side of the inbox worker thread: start, wake after new deliveries, stop on close.
import { Worker } from 'node:worker_threads';
import type { Config } from '../../config/config.js';
import type { DeliveryOutcome } from '../../storage/delivery-repository.js';
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
}

export class ThreadedInboxWorker {
  private worker: Worker | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: ThreadedInboxWorkerOptions) {}

  /** Starts the thread; resolves once it is processing. */
  async start(): Promise<void> {
    if (this.worker !== undefined) return;
    const data: InboxWorkerThreadData = {
      config: this.options.config,
      owner: this.options.owner,
      niceness: this.options.niceness,
      writeLock: this.options.writeLock,
    };
    const worker = new Worker(new URL('./inbox-worker-thread.js', import.meta.url), {
      workerData: data,
      // A small young generation: more frequent, cheap scavenges instead of tens of MB of RSS.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    this.worker = worker;
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (event: WorkerThreadEvent) => {
        if (event.type === 'ready') resolve();
        else if (event.type === 'outcomes') this.options.onOutcomes(event.outcomes);
        else if (event.type === 'error') {
          const error = new Error(event.message);
          if (event.stack !== undefined) error.stack = event.stack;
          this.options.onError(error);
        }
      });
      worker.once('error', reject);
    });
    worker.on('error', (error) => this.options.onError(error));
    this.stopped = new Promise((resolve) => worker.once('exit', () => resolve()));
    await ready;
  }

  wake(): void {
    this.send({ type: 'wake' });
  }

  /** Stops claiming; resolves when the thread has finished its batch and exited. */
  async stop(): Promise<void> {
    if (this.worker === undefined) return;
    this.send({ type: 'stop' });
    await this.stopped;
    this.worker = undefined;
  }

  private send(command: WorkerThreadCommand): void {
    this.worker?.postMessage(command);
  }
}
