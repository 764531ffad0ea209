// One SQLite writer at a time between storyflow's threads, decided here rather than by SQLite's
// busy handler: that one sleeps and polls (1, 2, 5, 10 ms …), so a busy processing thread kept
// retaking the lock while the webhook commits slept. Here the webhook writer is "urgent": the
// processing thread lets it go first and cuts its transactions short when it is waiting.
// Only worker threads take it (Atomics.wait blocks, which the main thread must never do).

const HELD = 0;
const URGENT_WAITERS = 1;

export class SharedWriteLock {
  private readonly cells: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }

  static createBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  }

  /** Runs `fn` holding the lock, ahead of any polite holder waiting for it. */
  async runUrgent<T>(fn: () => Promise<T>): Promise<T> {
    Atomics.add(this.cells, URGENT_WAITERS, 1);
    try {
      this.acquire();
    } finally {
      Atomics.sub(this.cells, URGENT_WAITERS, 1);
      Atomics.notify(this.cells, URGENT_WAITERS);
    }
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Runs `fn` holding the lock, after every urgent writer that is waiting. */
  async runPolite<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      const urgent = Atomics.load(this.cells, URGENT_WAITERS);
      if (urgent > 0) {
        Atomics.wait(this.cells, URGENT_WAITERS, urgent, 50);
        continue;
      }
      if (Atomics.compareExchange(this.cells, HELD, 0, 1) === 0) break;
      Atomics.wait(this.cells, HELD, 1, 50);
    }
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Whether an urgent writer is waiting: a polite holder should finish soon. */
  contended(): boolean {
    return Atomics.load(this.cells, URGENT_WAITERS) > 0;
  }

  /** For a holder that died: lets the others in (SQLite's own locking remains underneath). */
  forceRelease(): void {
    this.release();
  }

  private acquire(): void {
    while (Atomics.compareExchange(this.cells, HELD, 0, 1) !== 0) {
      Atomics.wait(this.cells, HELD, 1, 50);
    }
  }

  private release(): void {
    Atomics.store(this.cells, HELD, 0);
    Atomics.notify(this.cells, HELD);
  }
}
