// Readiness beyond "the database answers a ping": `serve` is not ready while its SQLite write
// lock has been held longer than the write-lock bound (every writer behind it gets 503), or
// while its event loop was recently blocked past a threshold (every request waits behind it).
// /healthz stays a plain liveness answer; /readyz asks this check first (health-routes.ts).
/** The write lock's view /readyz needs (serve on a SQLite file). */
export interface HeldLock {
  heldForMs(now: number): number;
}

/**
 * The event loop is stuck when, over the last EVENT_LOOP_WINDOW_MS, it was blocked for more than
 * this in all (one long block, or many shorter ones). A single hiccup (start-up, a large
 * document, a GC pause on a loaded machine) stays below it.
 */
export const EVENT_LOOP_STUCK_MS = 5000;
export const EVENT_LOOP_WINDOW_MS = 10_000;
/** How often the event loop's lag is sampled; a lag below LAG_FLOOR_MS is not a block. */
const SAMPLE_EVERY_MS = 250;
const LAG_FLOOR_MS = 50;

export interface StuckCheckOptions {
  /** The write lock of `serve`'s threads, when the store takes it. */
  lock?: HeldLock;
  /** A holder keeping the lock longer than this is stuck (config.writeLockTimeoutMs). */
  lockBoundMs: number;
  eventLoopStuckMs?: number;
  windowMs?: number;
  now?: () => number;
}

export interface StuckCheck {
  /** Why the server is stuck right now, or null. */
  reason(): string | null;
  /** Stops sampling the event loop. */
  stop(): void;
}

/** Starts sampling the event loop (an unref'd timer); `reason()` reads the samples and the lock. */
export function startStuckCheck(options: StuckCheckOptions): StuckCheck {
  const now = options.now ?? Date.now;
  const stuckMs = options.eventLoopStuckMs ?? EVENT_LOOP_STUCK_MS;
  const windowMs = options.windowMs ?? EVENT_LOOP_WINDOW_MS;
  let lastTick = now();
  /** Blocks seen within the window: when each ended and how long it lasted. */
  let blocks: { at: number; ms: number }[] = [];
  const timer = setInterval(() => {
    const at = now();
    const lag = at - lastTick - SAMPLE_EVERY_MS;
    lastTick = at;
    blocks = blocks.filter((block) => at - block.at <= windowMs);
    if (lag > LAG_FLOOR_MS) blocks.push({ at, ms: lag });
  }, SAMPLE_EVERY_MS);
  timer.unref();
  return {
    reason() {
      const at = now();
      const heldMs = options.lock?.heldForMs(at) ?? 0;
      if (heldMs > options.lockBoundMs) {
        return `The database write lock has been held for ${heldMs} ms (more than the ${options.lockBoundMs} ms bound, database.writeLockTimeoutSeconds): writes answer 503 meanwhile`;
      }
      // Blocks seen within the window, plus a tick overdue right now (the probe ran first).
      const overdue = Math.max(0, at - lastTick - SAMPLE_EVERY_MS);
      const blockedMs =
        blocks.filter((block) => at - block.at <= windowMs).reduce((sum, b) => sum + b.ms, 0) +
        (overdue > LAG_FLOOR_MS ? overdue : 0);
      if (blockedMs > stuckMs) {
        return `The event loop was blocked for ${blockedMs} ms of the last ${windowMs / 1000} s (more than ${stuckMs} ms): requests wait behind it`;
      }
      return null;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
