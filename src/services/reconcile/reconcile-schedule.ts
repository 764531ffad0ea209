// Runs the reconciliation every `reconcile.intervalMinutes` (docs/forge-feedback.md, "Missed
// deliveries"). Every instance keeps a timer; a run takes the database lock and is skipped when
// another instance is running one or ran one within the interval, so the repositories are asked
// about once per interval whatever the number of instances.
import type { ReconcileConfig } from '../../config/config.js';
import { SYSTEM_ACTOR } from '../../domain/audit/audit-context.js';
import type { Clock } from '../../domain/clock.js';
import type { ReconcileService, ReconcileSummary } from './reconcile-service.js';

export interface ReconcileScheduleOptions {
  onRun?: (summary: ReconcileSummary) => void;
  onError?: (error: unknown) => void;
}

/**
 * A run within the last 90 % of the interval counts as this interval's: timers on several
 * instances drift, and an instance must not skip its own next run for a few milliseconds.
 */
const GAP_FRACTION = 0.9;

export class ReconcileSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  private stopping = new AbortController();

  constructor(
    private readonly service: ReconcileService,
    private readonly config: Pick<ReconcileConfig, 'intervalMinutes' | 'lookbackHours'>,
    private readonly clock: Clock,
    private readonly options: ReconcileScheduleOptions = {},
  ) {}

  /** One scheduled run: the summary, or undefined when another run made this one unneeded. */
  async runOnce(): Promise<ReconcileSummary | undefined> {
    const now = this.clock.now().getTime();
    const summary = await this.service.reconcileIfDue(
      new Date(now - this.config.lookbackHours * 3_600_000),
      this.config.intervalMinutes * 60_000 * GAP_FRACTION,
      { actor: SYSTEM_ACTOR, requestId: null },
      this.stopping.signal,
    );
    if (summary !== undefined) this.options.onRun?.(summary);
    return summary;
  }

  /** Runs now, then every interval, until stopped. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = new AbortController();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.stopping.abort();
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule(this.config.intervalMinutes * 60_000);
        });
    }, ms);
    this.timer.unref?.();
  }
}
