// Where an event being automated came from: the delivery and event index it was read from (null
// for a simulation or an API replay) and who is acting. Its own module so that the engine's helpers
// need nothing from the engine that calls them.
import type { AuditActor } from '../../domain/audit/audit-entry.js';

export interface EventOrigin {
  deliveryId: string | null;
  eventIndex: number | null;
  actor: AuditActor;
  requestId: string | null;
}
