// The audit of refused webhooks, for the route that refuses them: a refusal before verification
// is summarized per address and window (RefusalAudit); a verified delivery refused for its body
// or event header leaves one bounded `webhook.malformed` entry.
import { auditEntry } from '../../domain/audit/audit-entry.js';
import type { Clock } from '../../domain/clock.js';
import type { Store } from '../../storage/store.js';
import { boundedHeader, type Refusal, RefusalAudit } from './refusal-audit.js';

export type { Refusal } from './refusal-audit.js';

/** A verified delivery refused with 400 (not UTF-8, no event header, not JSON). */
export type MalformedDelivery = Omit<Refusal, 'limited'>;

export interface WebhookRefusalsOptions {
  store: Pick<Store, 'audit'>;
  clock: Clock;
  /** Length of a summary window of unverified refusals, in ms. */
  windowMs: number;
  /** A summary written when its window closed could not be stored. */
  onError: (error: unknown) => void;
}

export class WebhookRefusals {
  private readonly unverifiedAudit: RefusalAudit;

  constructor(private readonly options: WebhookRefusalsOptions) {
    this.unverifiedAudit = new RefusalAudit({
      windowMs: options.windowMs,
      clock: options.clock,
      append: (entries) => options.store.audit.append(entries),
      onError: options.onError,
    });
  }

  /** A delivery that was not verified (401 or 429): an entry, or a count in its summary. */
  unverified(refusal: Refusal): Promise<void> {
    return this.unverifiedAudit.record(refusal);
  }

  /** A verified delivery refused for its body or event header: one bounded entry. */
  async malformed(delivery: MalformedDelivery): Promise<void> {
    await this.options.store.audit.append([
      auditEntry({
        occurredAt: this.options.clock.now().toISOString(),
        actor: { type: 'anonymous', id: boundedHeader(delivery.address), name: null },
        action: 'webhook.malformed',
        targetType: 'webhook',
        targetId: delivery.provider,
        after: {
          reason: delivery.reason,
          event: boundedHeader(delivery.event),
          deliveryId: boundedHeader(delivery.deliveryId),
        },
        requestId: delivery.requestId,
        reason: delivery.detail,
      }),
    ]);
  }

  /** Writes the summaries of the window still open. */
  close(): Promise<void> {
    return this.unverifiedAudit.close();
  }
}
