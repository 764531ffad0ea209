// One SQLite writer at a time between storyflow's threads, decided here rather than by SQLite's
// busy handler: that one sleeps and polls (1, 2, 5, 10 ms …), so a busy processing thread kept
// retaking the lock while the webhook commits slept. Here the webhook writer is "urgent": the
// processing thread lets it go first and cuts its transactions short when it is waiting.
// Worker threads wait for it with Atomics.wait, which blocks; the main thread, whose API writes
// (stories, tokens, CI events) share the same database, waits with Atomics.waitAsync instead.

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

  /**
   * Takes the lock after every urgent writer that is waiting, without blocking the thread (the
   * main thread's event loop goes on meanwhile); resolves with the function that releases it.
   */
  async lockWithoutBlocking(): Promise<() => void> {
    for (;;) {
      const urgent = Atomics.load(this.cells, URGENT_WAITERS);
      if (urgent > 0) {
        await waitAsync(this.cells, URGENT_WAITERS, urgent, 50);
        continue;
      }
      if (Atomics.compareExchange(this.cells, HELD, 0, 1) === 0) break;
      await waitAsync(this.cells, HELD, 1, 50);
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.release();
    };
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

// Atomics.waitAsync is in Node.js 16 and later; TypeScript declares it from lib ES2024 on.
const atomicsWaitAsync = (
  Atomics as unknown as {
    waitAsync(
      cells: Int32Array,
      index: number,
      value: number,
      timeoutMs: number,
    ): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/** Resolves when `cells[index]` is no longer `value`, is notified, or after `timeoutMs`. */
async function waitAsync(
  cells: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
): Promise<void> {
  const result = atomicsWaitAsync(cells, index, value, timeoutMs);
  if (result.async) await result.value;
}
