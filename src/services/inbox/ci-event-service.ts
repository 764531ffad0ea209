// Events that CI systems report directly (/ci/events, /deployments): stored like any delivery,
// then processed at once, in the same transaction, so the caller learns what happened.

import type { AuditContext } from '../../domain/audit/audit-context.js';
import { auditEntry } from '../../domain/audit/audit-entry.js';
import { type Principal, principalCoversRepository } from '../../domain/auth/principal.js';
import type { Clock } from '../../domain/clock.js';
import type {
  NormalizedEvent,
  NormalizedEventInput,
} from '../../domain/events/normalized-event.js';
import type { IdGenerator } from '../../domain/ids.js';
import { nextAttemptDelay } from '../../domain/inbox/next-attempt-delay.js';
import { ProblemError } from '../../errors/problem-error.js';
import type { DeliveryRecord, NewDelivery } from '../../storage/delivery-repository.js';
import type { OperationRecord } from '../../storage/operation-repository.js';
import type { Store } from '../../storage/store.js';
import type { DeliveryHandler } from './delivery-handler.js';
import { NORMALIZED_PROVIDER } from './normalize-delivery.js';

export interface CiEventAnswer {
  delivery: string;
  duplicate: boolean;
  status: DeliveryRecord['status'];
  operations: OperationRecord[];
}

export class CiEventService {
  constructor(
    private readonly store: Store,
    private readonly handler: DeliveryHandler,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly retrySchedule: readonly number[],
  ) {}

  async report(
    input: NormalizedEventInput,
    principal: Principal,
    idempotencyKey: string | undefined,
    context: AuditContext,
  ): Promise<CiEventAnswer> {
    if (!principalCoversRepository(principal, input.repository, input.repositoryId)) {
      throw new ProblemError(
        'forbidden',
        `This credential may not report events for ${input.repository}`,
        { repository: input.repository },
      );
    }
    const event: NormalizedEvent = { ...input, provider: input.provider ?? NORMALIZED_PROVIDER };
    const now = this.clock.now();
    const delivery: NewDelivery = {
      id: this.ids.next('dlv'),
      provider: NORMALIZED_PROVIDER,
      // Retries with the same Idempotency-Key (per credential) are the same delivery.
      deliveryId:
        idempotencyKey === undefined ? this.ids.next('ci') : `${principal.id}:${idempotencyKey}`,
      event: event.kind,
      headers: {},
      body: JSON.stringify(event),
      receivedAt: now.toISOString(),
      sourceAddress: null,
      repository: event.repository,
    };
    try {
      return await this.store.transaction(async (tx) => {
        const [stored] = await tx.deliveries.insertDeliveries([delivery]);
        if (stored === undefined) throw new Error('the delivery was not stored');
        if (stored.duplicate) {
          const existing = await tx.deliveries.getDelivery(stored.id);
          return {
            delivery: stored.id,
            duplicate: true,
            status: existing?.status ?? 'pending',
            // What the first report did, so a retried step learns the same answer.
            operations: (
              await tx.operations.listOperations({ delivery: stored.id, limit: 100 })
            ).reverse(),
          };
        }
        const record: DeliveryRecord = {
          ...delivery,
          status: 'processing',
          attempts: 1,
          nextAttemptAt: delivery.receivedAt,
          leaseOwner: null,
          leaseUntil: null,
          lastError: null,
          events: [event],
          processedAt: null,
        };
        const result = await this.handler.handle(tx, record, [event]);
        const processedAt = this.clock.now().toISOString();
        await tx.deliveries.completeDelivery(delivery.id, 1, {
          status: 'processed',
          events: [event],
          lastError: null,
          processedAt,
        });
        await tx.audit.append([
          auditEntry({
            occurredAt: processedAt,
            actor: context.actor,
            action: 'delivery.processed',
            targetType: 'delivery',
            targetId: delivery.id,
            after: { status: 'processed', event: event.kind, repository: event.repository },
            requestId: context.requestId,
            deliveryId: delivery.id,
          }),
        ]);
        return {
          delivery: delivery.id,
          duplicate: false,
          status: 'processed',
          operations: result.operations,
        };
      });
    } catch (error) {
      if (error instanceof ProblemError) throw error;
      return this.keepForRetry(delivery, error);
    }
  }

  /** Processing failed: the event is stored anyway and the inbox workers retry it. */
  private async keepForRetry(delivery: NewDelivery, error: unknown): Promise<CiEventAnswer> {
    const message = error instanceof Error ? error.message : String(error);
    const delay = nextAttemptDelay(this.retrySchedule, 1, Math.random()) ?? 0;
    const [stored] = await this.store.transaction(async (tx) => {
      const results = await tx.deliveries.insertDeliveries([delivery]);
      if (results[0] !== undefined && !results[0].duplicate) {
        await tx.deliveries.completeDelivery(delivery.id, 1, {
          status: 'failed',
          events: null,
          lastError: message,
          processedAt: null,
          nextAttemptAt: new Date(this.clock.now().getTime() + delay).toISOString(),
        });
      }
      return results;
    });
    return {
      delivery: stored?.id ?? delivery.id,
      duplicate: stored?.duplicate ?? false,
      status: 'failed',
      operations: [],
    };
  }
}
