// What storyflow's three threads (delivery writer, inbox worker, WAL checkpointer) share on the
// main thread's side: start the script, wait for its 'ready', and learn why it ended.
import { Worker } from 'node:worker_threads';

export interface StartThreadOptions<Message> {
  /** For messages: "the <name> thread exited (1)". */
  name: string;
  script: URL;
  workerData: unknown;
  /**
   * V8's young generation for the thread, in MB: small, since each thread holds little at a
   * time (more frequent, cheap scavenges instead of tens of MB of RSS).
   */
  youngGenerationMb: number;
  /** Whether a message from the thread says it is ready. */
  isReady(message: Message): boolean;
  /** Every other message from the thread. */
  onMessage?(message: Message): void;
  /** After the thread ended, whatever the reason: the error it died of, or its exit code. */
  onExit(worker: Worker, error: Error): void;
}

export interface StartedThread {
  worker: Worker;
  /** Resolves on the thread's 'ready'; rejects if it fails before. */
  ready: Promise<void>;
  /** Resolves when the thread has ended. */
  exited: Promise<void>;
}

export function startThread<Message>(options: StartThreadOptions<Message>): StartedThread {
  const worker = new Worker(options.script, {
    workerData: options.workerData,
    resourceLimits: { maxYoungGenerationSizeMb: options.youngGenerationMb },
  });
  let failure: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: Message) => {
      if (options.isReady(message)) resolve();
      else options.onMessage?.(message);
    });
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the ${options.name} thread exited (${code}) before it was ready`)),
    );
  });
  // A caller that does not wait for 'ready' learns of a failure through onExit.
  ready.catch(() => {});
  worker.on('error', (error) => {
    failure = error;
  });
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      options.onExit(worker, failure ?? new Error(`the ${options.name} thread exited (${code})`));
      resolve();
    }),
  );
  return { worker, ready, exited };
}
