// The loop of a background runner (the outbox sender, the repository sync runner): runs a round
// at once after one that found work, else after `pollMs`; `wake()` runs one now, or right after
// the one under way; `stop()` waits for the round in flight. A round that throws is reported and the
// loop carries on at the idle pace.
export class PollingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private wokenWhileRunning = false;

  /** `round` answers how much work it found (claimed rows); 0 means idle. */
  constructor(
    private readonly round: () => Promise<number>,
    private readonly pollMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running !== undefined) this.wokenWhileRunning = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.wokenWhileRunning = false;
      this.running = this.round()
        .catch((error: unknown) => {
          this.onError(error);
          return 0;
        })
        .then((found) => {
          this.running = undefined;
          if (!this.stopped) this.schedule(found > 0 || this.wokenWhileRunning ? 0 : this.pollMs);
        });
    }, ms);
    this.timer.unref?.();
  }
}
