// A late delivery of an older fact about a deployment, pipeline or PR than the one already
// applied: recorded and explained, never applied (docs/events.md, "Out-of-order deliveries").

import type { AuditContext } from '../../domain/audit/audit-context.js';
import { auditEntry } from '../../domain/audit/audit-entry.js';
import type { EventSubject, FactPosition } from '../../domain/events/event-order.js';
import type { NormalizedEvent } from '../../domain/events/normalized-event.js';
import type { LatestFact } from '../../storage/link-repository.js';
import type { OperationRecord } from '../../storage/operation-repository.js';
import type { Repositories } from '../../storage/store.js';
import type { AutomationSettings } from './automation-settings.js';
import { collectReferences } from './collect-references.js';
import type { EventOrigin } from './event-origin.js';

export interface OlderFact {
  origin: EventOrigin;
  subject: EventSubject;
  /** Where the skipped event stands. */
  position: FactPosition;
  /** The newer fact already applied. */
  latest: LatestFact;
  operationId: string;
  /** The actor and request. */
  context: AuditContext;
  now: string;
  references: Pick<AutomationSettings, 'references' | 'defaultBranches'>;
}

/**
 * Records that `event` was skipped: an operation without changes whose one step names the
 * stories the event names and says why (listed on the delivery, answered by /ci/events), and an
 * audit entry `event.skipped` holding both positions.
 */
export async function skipOlderFact(
  tx: Repositories,
  event: NormalizedEvent,
  older: OlderFact,
): Promise<OperationRecord> {
  const { origin, subject, position, latest, operationId, context, now } = older;
  const named = await collectReferences(
    tx,
    event,
    older.references.references,
    new Map(),
    older.references.defaultBranches,
  );
  const skipped =
    `older than ${latest.kind} (${describePosition(latest)}) already applied` +
    (latest.deliveryId === null ? '' : ` from delivery ${latest.deliveryId}`);
  const operation: OperationRecord = {
    id: operationId,
    status: 'applied',
    triggerKind: event.kind,
    deliveryId: origin.deliveryId,
    eventIndex: origin.eventIndex,
    rollsBack: null,
    repository: event.repository,
    environment: event.environment ?? null,
    changes: [],
    steps: [
      {
        story: named.map(({ record }) => record.id).join(', ') || '-',
        rule: 'event order',
        action: `skip ${event.kind}`,
        because: `${subject.type} ${subject.key} at ${describePosition(position)}`,
        skipped,
      },
    ],
    comments: [],
    shas: [],
    createdAt: now,
    rolledBackAt: null,
    rolledBackBy: null,
  };
  await tx.operations.insertOperation(operation);
  await tx.audit.append([
    auditEntry({
      occurredAt: now,
      actor: context.actor,
      action: 'event.skipped',
      targetType: 'delivery',
      targetId: origin.deliveryId,
      before: {
        kind: latest.kind,
        occurredAt: latest.occurredAt,
        sequence: latest.sequence,
        delivery: latest.deliveryId,
      },
      after: { kind: event.kind, occurredAt: position.occurredAt, sequence: position.sequence },
      requestId: context.requestId,
      operationId: operation.id,
      deliveryId: origin.deliveryId,
      reason: `${event.kind} of ${subject.type} ${subject.key} skipped: ${skipped}`,
    }),
  ]);
  return operation;
}

function describePosition(position: FactPosition): string {
  const parts = [
    ...(position.sequence === null ? [] : [`sequence ${position.sequence}`]),
    ...(position.occurredAt === null ? [] : [position.occurredAt]),
  ];
  return parts.join(', ') || 'no time';
}
