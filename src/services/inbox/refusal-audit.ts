// The audit trail of refused webhooks, kept small whatever an unauthenticated client sends: each
// entry holds only bounded, validated fields, and an address's refusals are summarized per
// window (its first refusal at once, the rest as one entry with counts when the window closes).

import { type AuditEntryInput, auditEntry } from '../../domain/audit/audit-entry.js';
import type { Clock } from '../../domain/clock.js';

/** Longest header value kept in a refusal's audit entry (longer ones are cut and end in `…`). */
export const REFUSAL_HEADER_MAX = 128;
/** Addresses summarized apart in one window; refusals from further addresses share one summary. */
export const REFUSAL_ADDRESSES_MAX = 1000;
/** The summary that collects the addresses past REFUSAL_ADDRESSES_MAX. */
export const OTHER_ADDRESSES = '*';

export interface Refusal {
  provider: string;
  /** The client address (request.ip). */
  address: string;
  /** A word of a fixed set (`bad-signature`, …). */
  reason: string;
  /** A fixed sentence (the problem's detail). */
  detail: string;
  /** The event the request claims (its provider's `claims`: X-GitHub-Event, …), bounded here. */
  event: string | undefined;
  /** The delivery id it claims (X-GitHub-Delivery, X-Gitlab-Event-UUID, …), bounded here. */
  deliveryId: string | undefined;
  requestId: string;
  /** Answered 429 because the address is over its budget of refusals. */
  limited: boolean;
}

interface Summary {
  provider: string;
  address: string;
  count: number;
  limited: number;
  reasons: Record<string, number>;
}

export interface RefusalAuditOptions {
  /** Length of a summary window, in ms (the window of `rateLimits.webhookRefusals`). */
  windowMs: number;
  clock: Clock;
  append: (entries: AuditEntryInput[]) => Promise<unknown>;
  onError: (error: unknown) => void;
  /** Default REFUSAL_ADDRESSES_MAX. */
  maxAddresses?: number;
}

/**
 * @example
 * const audit = new RefusalAudit({ windowMs: 60_000, clock, append: (e) => store.audit.append(e), onError });
 * await audit.record(refusal); // an entry for the first refusal of an address in a window
 * await audit.close(); // writes the summaries of the window still open
 */
export class RefusalAudit {
  private windowStart: number;
  /** `${provider} ${address}` → refusals after the first in the current window. */
  private summaries = new Map<string, Summary>();
  private readonly maxAddresses: number;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: RefusalAuditOptions) {
    this.maxAddresses = options.maxAddresses ?? REFUSAL_ADDRESSES_MAX;
    this.windowStart = this.windowOf(options.clock.now().getTime());
    // Summaries are written when their window closes even if no refusal follows.
    this.timer = setInterval(() => {
      this.rotate().catch(options.onError);
    }, options.windowMs);
    this.timer.unref();
  }

  /**
   * Records a refusal: the first one of its address (and provider) in the window is appended at
   * once; later ones are counted into the summary written when the window closes.
   */
  async record(refusal: Refusal): Promise<void> {
    await this.rotate();
    const key = `${refusal.provider} ${refusal.address}`;
    const summary = this.summaries.get(key);
    if (summary !== undefined) {
      count(summary, refusal);
      return;
    }
    if (this.summaries.size >= this.maxAddresses) {
      const others = `${refusal.provider} ${OTHER_ADDRESSES}`;
      const overflow = this.summaries.get(others) ?? this.newSummary(refusal, OTHER_ADDRESSES);
      this.summaries.set(others, overflow);
      count(overflow, refusal);
      return;
    }
    this.summaries.set(key, this.newSummary(refusal, refusal.address));
    await this.options.append([this.entryOf(refusal)]);
  }

  /** Writes the summaries of the window still open; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.writeSummaries(this.options.clock.now().getTime());
  }

  private async rotate(): Promise<void> {
    const now = this.options.clock.now().getTime();
    if (this.windowOf(now) === this.windowStart) return;
    await this.writeSummaries(now);
  }

  private async writeSummaries(now: number): Promise<void> {
    const from = new Date(this.windowStart).toISOString();
    const until = new Date(Math.min(now, this.windowStart + this.options.windowMs)).toISOString();
    const summaries = [...this.summaries.values()].filter((summary) => summary.count > 0);
    this.summaries = new Map();
    this.windowStart = this.windowOf(now);
    if (summaries.length === 0) return;
    await this.options.append(
      summaries.map((summary) =>
        auditEntry({
          occurredAt: until,
          actor: { type: 'anonymous', id: summary.address, name: null },
          action: 'webhook.rejected',
          targetType: 'webhook',
          targetId: summary.provider,
          after: {
            summary: true,
            count: summary.count,
            limited: summary.limited,
            reasons: summary.reasons,
            from,
            until,
          },
          reason:
            summary.address === OTHER_ADDRESSES
              ? `${summary.count} refused deliveries from addresses past the first ${this.maxAddresses} of the window`
              : `${summary.count} more refused deliveries from this address in the window`,
        }),
      ),
    );
  }

  private newSummary(refusal: Refusal, address: string): Summary {
    return { provider: refusal.provider, address, count: 0, limited: 0, reasons: {} };
  }

  private entryOf(refusal: Refusal): AuditEntryInput {
    return auditEntry({
      occurredAt: new Date(this.options.clock.now().getTime()).toISOString(),
      actor: { type: 'anonymous', id: boundedHeader(refusal.address), name: null },
      action: 'webhook.rejected',
      targetType: 'webhook',
      targetId: refusal.provider,
      after: {
        reason: refusal.reason,
        event: boundedHeader(refusal.event),
        deliveryId: boundedHeader(refusal.deliveryId),
        limited: refusal.limited,
      },
      requestId: refusal.requestId,
      reason: refusal.detail,
    });
  }

  private windowOf(time: number): number {
    return time - (time % this.options.windowMs);
  }
}

function count(summary: Summary, refusal: Refusal): void {
  summary.count += 1;
  if (refusal.limited) summary.limited += 1;
  // Reasons come from a fixed set of words, so this map stays small.
  summary.reasons[refusal.reason] = (summary.reasons[refusal.reason] ?? 0) + 1;
}

/**
 * A header value as an audit entry may hold it: printable ASCII only (anything else becomes
 * `?`), at most REFUSAL_HEADER_MAX characters (a longer value is cut and ends in `…`); `''` when
 * the header is absent.
 */
export function boundedHeader(value: string | undefined): string {
  if (value === undefined) return '';
  const cut = value.length > REFUSAL_HEADER_MAX;
  const printable = value.slice(0, REFUSAL_HEADER_MAX).replace(/[^\x20-\x7e]/g, '?');
  return cut ? `${printable}…` : printable;
}
