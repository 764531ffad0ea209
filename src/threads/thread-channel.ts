// The one message protocol between the main thread and storyflow's worker threads (the delivery
// writer, the WAL checkpointer, the inbox worker), and the one request/reply helper on each side.
// Every message is an object with a `kind`: requests are answered by a reply with their `id`,
// commands and events are one-way, and `close` asks the thread to finish and end.
import { parentPort, Worker } from 'node:worker_threads';

/** From the main thread to a thread. */
export type ToThread<Request, Command> =
  | { kind: 'request'; id: number; body: Request }
  | { kind: 'command'; body: Command }
  | { kind: 'close' };

/** From a thread to the main thread. */
export type FromThread<Reply, Event> =
  | { kind: 'ready' }
  | { kind: 'reply'; id: number; result: Reply }
  | { kind: 'reply'; id: number; error: string }
  | { kind: 'event'; body: Event };

export interface ThreadChannelOptions<Event> {
  /** For messages: "the <name> thread exited (1)". */
  name: string;
  script: URL;
  workerData: unknown;
  /**
   * V8's young generation for the thread, in MB: small, since each thread holds little at a
   * time (more frequent, cheap scavenges instead of tens of MB of RSS).
   */
  youngGenerationMb: number;
  /** Each event the thread sends. */
  onEvent?(event: Event): void;
  /** After the thread ended, whatever the reason: the error it died of, or its exit code. */
  onExit(error: Error): void;
}

/** The main thread's side of one running thread. */
export class ThreadChannel<Request, Reply, Command = never, Event = never> {
  /** Resolves on the thread's `ready`; rejects if it ends before. */
  readonly ready: Promise<void>;
  /** Resolves when the thread has ended (after onExit). */
  readonly exited: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve(reply: Reply): void; reject(error: Error): void }
  >();
  private nextId = 0;
  private ended = false;

  constructor(options: ThreadChannelOptions<Event>) {
    this.worker = new Worker(options.script, {
      workerData: options.workerData,
      resourceLimits: { maxYoungGenerationSizeMb: options.youngGenerationMb },
    });
    let failure: Error | undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (message: FromThread<Reply, Event>) => {
        if (message.kind === 'ready') resolve();
        else if (message.kind === 'event') options.onEvent?.(message.body);
        else this.settle(message);
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) =>
        reject(new Error(`the ${options.name} thread exited (${code}) before it was ready`)),
      );
    });
    // A caller that does not wait for `ready` learns of a failure through onExit.
    this.ready.catch(() => {});
    this.worker.on('error', (error) => {
      failure = error;
    });
    this.exited = new Promise<void>((resolve) =>
      this.worker.once('exit', (code) => {
        this.ended = true;
        const error = failure ?? new Error(`the ${options.name} thread exited (${code})`);
        // Requests in flight die with the thread.
        for (const waiting of this.pending.values()) waiting.reject(error);
        this.pending.clear();
        options.onExit(error);
        resolve();
      }),
    );
  }

  /** Whether the thread has ended. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Sends a request; resolves with the thread's reply, rejects with its error or its death. */
  request(body: Request): Promise<Reply> {
    if (this.ended) return Promise.reject(new Error('the thread has ended'));
    this.nextId += 1;
    const id = this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ kind: 'request', id, body });
    });
  }

  /** Sends a one-way command. */
  send(body: Command): void {
    if (!this.ended) this.post({ kind: 'command', body });
  }

  /** Asks the thread to finish and end; resolves once it has. */
  async close(): Promise<void> {
    if (!this.ended) this.post({ kind: 'close' });
    await this.exited;
  }

  private post(message: ToThread<Request, Command>): void {
    this.worker.postMessage(message);
  }

  private settle(message: Extract<FromThread<Reply, Event>, { kind: 'reply' }>): void {
    const waiting = this.pending.get(message.id);
    if (waiting === undefined) return;
    this.pending.delete(message.id);
    if ('error' in message) waiting.reject(new Error(message.error));
    else waiting.resolve(message.result);
  }
}

export interface ThreadHandlers<Request, Reply, Command> {
  /** Answers a request; a throw (or rejection) is sent back as the request's error. */
  request?(body: Request): Reply | Promise<Reply>;
  command?(body: Command): void;
  /** Finishes the thread's work; the thread ends after it. */
  close(): void | Promise<void>;
}

/** The thread's side: answers the main thread's messages. Call `ready()` once set up. */
export function serveThread<Request, Reply, Command = never, Event = never>(
  handlers: ThreadHandlers<Request, Reply, Command>,
): { ready(): void; emit(event: Event): void } {
  const port = parentPort;
  if (port === null) throw new Error('serveThread must run in a worker thread');
  const post = (message: FromThread<Reply, Event>) => port.postMessage(message);
  port.on('message', async (message: ToThread<Request, Command>) => {
    if (message.kind === 'command') {
      handlers.command?.(message.body);
      return;
    }
    if (message.kind === 'close') {
      await handlers.close();
      port.close();
      return;
    }
    try {
      if (handlers.request === undefined) throw new Error('this thread takes no requests');
      post({ kind: 'reply', id: message.id, result: await handlers.request(message.body) });
    } catch (error) {
      post({ kind: 'reply', id: message.id, error: (error as Error).message ?? String(error) });
    }
  });
  return {
    ready: () => post({ kind: 'ready' }),
    emit: (event) => post({ kind: 'event', body: event }),
  };
}
