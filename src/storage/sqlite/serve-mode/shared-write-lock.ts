// One SQLite writer at a time between storyflow's threads, decided here rather than by SQLite's
// busy handler: that one sleeps and polls (1, 2, 5, 10 ms …), so a busy processing thread kept
// retaking the lock while the webhook commits slept. Here the webhook writer is "urgent": the
// processing thread lets it go first and cuts its transactions short when it is waiting.
// Worker threads wait for it with Atomics.wait, which blocks; the main thread, whose API writes
// (stories, tokens, CI events) share the same database, waits with Atomics.waitAsync instead.

const HELD = 0;
const URGENT_WAITERS = 1;
/** Byte offset of the BigInt64 cell holding when the lock was taken (Date.now(); 0: unknown). */
const TAKEN_AT_OFFSET = 8;

/** The lock was not free within the caller's bound (see lockWithoutBlocking). */
export class WriteLockTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`the database write lock was not free within ${waitedMs} ms`);
    this.name = 'WriteLockTimeoutError';
  }
}

export class SharedWriteLock {
  private readonly cells: Int32Array;
  private readonly takenAt: BigInt64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer, 0, 2);
    this.takenAt = new BigInt64Array(buffer, TAKEN_AT_OFFSET, 1);
  }

  static createBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(TAKEN_AT_OFFSET + BigInt64Array.BYTES_PER_ELEMENT);
  }

  /**
   * How long the current holder has held the lock (0 when it is free or was taken just now), for
   * the readiness probe: a holder that never lets go shows here on every thread.
   */
  heldForMs(now = Date.now()): number {
    if (Atomics.load(this.cells, HELD) === 0) return 0;
    const takenAt = Number(Atomics.load(this.takenAt, 0));
    return takenAt === 0 ? 0 : Math.max(0, now - takenAt);
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
    await this.acquirePolitely(blockingWait);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /**
   * Takes the lock after every urgent writer that is waiting, without blocking the thread (the
   * main thread's event loop goes on meanwhile); resolves with the function that releases it.
   * With `timeoutMs`, rejects with a WriteLockTimeoutError when the lock is not free by then.
   */
  async lockWithoutBlocking(timeoutMs?: number): Promise<() => void> {
    await this.acquirePolitely(
      waitAsync,
      timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
    );
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.release();
    };
  }

  /** Waits while an urgent writer waits or the lock is held, then takes it (or times out). */
  private async acquirePolitely(wait: Wait, deadline?: number): Promise<void> {
    const started = Date.now();
    for (;;) {
      const urgent = Atomics.load(this.cells, URGENT_WAITERS);
      if (urgent === 0 && Atomics.compareExchange(this.cells, HELD, 0, 1) === 0) {
        this.markTaken();
        return;
      }
      const left = deadline === undefined ? 50 : Math.min(50, deadline - Date.now());
      if (left <= 0) throw new WriteLockTimeoutError(Date.now() - started);
      const waiting =
        urgent > 0
          ? wait(this.cells, URGENT_WAITERS, urgent, left)
          : wait(this.cells, HELD, 1, left);
      // A blocking wait has already waited; an asynchronous one is awaited here.
      if (waiting !== undefined) await waiting;
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
    this.markTaken();
  }

  private markTaken(): void {
    Atomics.store(this.takenAt, 0, BigInt(Date.now()));
  }

  private release(): void {
    Atomics.store(this.takenAt, 0, 0n);
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

/**
 * Waits until `cells[index]` is no longer `value`, is notified, or `timeoutMs` passes: either
 * blocking the thread (worker threads) or through a promise (the main thread).
 */
type Wait = (
  cells: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => Promise<unknown> | undefined;

const blockingWait: Wait = (cells, index, value, timeoutMs) => {
  Atomics.wait(cells, index, value, timeoutMs);
  return undefined;
};

const waitAsync: Wait = (cells, index, value, timeoutMs) => {
  const result = atomicsWaitAsync(cells, index, value, timeoutMs);
  return result.async ? result.value : undefined;
};
