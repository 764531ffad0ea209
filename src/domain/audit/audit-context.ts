// Who and what a change is attributed to, handed from the edge (HTTP, worker) to services.
import type { Principal } from '../auth/principal.js';
import type { AuditActor, AuditEntryFields } from './audit-entry.js';

export interface AuditContext {
  actor: AuditActor;
  requestId: string | null;
  reason?: string | null;
  operationId?: string | null;
  deliveryId?: string | null;
  batchId?: string | null;
  /**
   * Who a story's lifecycle lines name for this change (`Started: <date> by <person>`): the
   * event's mapped person, else its forge login. Unset: the actor's person, login or name.
   */
  personName?: string;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: 'system', name: 'storyflow' };

export function actorOf(principal: Principal | undefined): AuditActor {
  if (principal === undefined) return { type: 'anonymous', id: null, name: null };
  return {
    type: principal.kind === 'oidc' ? 'oidc' : 'token',
    id: principal.id,
    name: principal.name,
  };
}

/** The audit entry fields a context gives (actor, request, operation, delivery, batch, reason). */
export function attributionOf(
  context: AuditContext,
): Pick<
  AuditEntryFields,
  'actor' | 'requestId' | 'operationId' | 'deliveryId' | 'batchId' | 'reason'
> {
  return {
    actor: context.actor,
    requestId: context.requestId,
    operationId: context.operationId,
    deliveryId: context.deliveryId,
    batchId: context.batchId,
    reason: context.reason,
  };
}
