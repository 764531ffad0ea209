// Sends what the outbox holds: claims due rows under a lease, calls the forge outside any
// transaction, and records the result (sent, due again after a backoff that honours the forge's
// Retry-After and rate-limit reset, or dead). A forge that is down or limited only delays its own
// rows: webhook intake and story updates never wait for it. Each row is one target, updated in
// place, so a row is never sent twice for one decision (docs/forge-feedback.md, "The outbox").
import type { Config } from '../../config/config.js';
import type { Clock } from '../../domain/clock.js';
import { nextSendDelay } from '../../domain/outbox/next-send-delay.js';
import type { OutboxItem } from '../../storage/outbox-repository.js';
import type { Store } from '../../storage/store.js';
import { type FetchLike, type SendResult, sendToGithub } from './github-client.js';

export interface OutboxSenderOptions {
  /** How long a claim lasts before another sender may take the row over (default 60 s). */
  leaseMs?: number;
  /** Rows claimed at once (default 20). */
  batchSize?: number;
  /** How often an idle sender looks for due rows (default 1 s). */
  pollMs?: number;
  fetch?: FetchLike;
  /** In [0, 1), for the jitter (default Math.random). */
  random?: () => number;
  /** Counts for metrics: `sent`, `retried`, `dead`. */
  onOutcome?: (outcome: 'sent' | 'retried' | 'dead', forge: string) => void;
  onError?: (error: unknown) => void;
}

export class OutboxSender {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, 'forges'>,
    private readonly clock: Clock,
    private readonly options: OutboxSenderOptions = {},
  ) {}

  /** Claims and sends the rows due now; answers how many it claimed. */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    const leaseUntil = new Date(now.getTime() + (this.options.leaseMs ?? 60_000)).toISOString();
    const claimed = await this.store.transaction((tx) =>
      tx.outbox.claimDue(now.toISOString(), leaseUntil, this.options.batchSize ?? 20),
    );
    // One forge's calls one at a time (its rate limits are per credential); forges in parallel.
    const byForge = new Map<string, OutboxItem[]>();
    for (const item of claimed) byForge.set(item.forge, [...(byForge.get(item.forge) ?? []), item]);
    await Promise.all(
      [...byForge.values()].map(async (items) => {
        for (const item of items) await this.send(item);
      }),
    );
    return claimed.length;
  }

  /** Polls until stopped; `wake()` makes it look now. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  wake(): void {
    if (this.stopped || this.running !== undefined) return;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error) => this.options.onError?.(error))
        .then((claimed) => {
          this.running = undefined;
          if (!this.stopped) this.schedule(claimed ? 0 : (this.options.pollMs ?? 1000));
        });
    }, ms);
    this.timer.unref?.();
  }

  private async send(item: OutboxItem): Promise<void> {
    const forge = this.config.forges.find((candidate) => candidate.id === item.forge);
    const result: SendResult =
      forge === undefined
        ? { kind: 'refused', error: `no forge ${item.forge} in the config any more` }
        : await sendToGithub(
            forge,
            item.kind,
            item.payload,
            item.remoteId,
            this.options.fetch ?? fetch,
          ).catch((error: unknown) => ({
            kind: 'retry' as const,
            error: (error as Error).message,
            hints: { retryAfter: null, rateLimitRemaining: null, rateLimitReset: null },
          }));
    const now = this.clock.now();
    const at = now.toISOString();
    if (result.kind === 'sent') {
      await this.store.outbox.markSent(item.id, item.version, result.remoteId, at);
      this.options.onOutcome?.('sent', item.forge);
      return;
    }
    const delay =
      result.kind === 'retry'
        ? nextSendDelay(
            item.attempts + 1,
            result.hints,
            now,
            (this.options.random ?? Math.random)(),
          )
        : undefined;
    await this.store.outbox.markFailed(
      item.id,
      item.version,
      result.error,
      delay === undefined
        ? 'dead'
        : { nextAttemptAt: new Date(now.getTime() + delay).toISOString() },
      at,
    );
    this.options.onOutcome?.(delay === undefined ? 'dead' : 'retried', item.forge);
  }
}
