// Where an event being automated came from: the delivery and event index it was read from (null
// for a simulation or an API replay) and who is acting. Its own module so that the engine's helpers
// need nothing from the engine that calls them.
import type { AuditActor } from '../../domain/audit/audit-entry.js';

export interface EventOrigin {
  deliveryId: string | null;
  eventIndex: number | null;
  actor: AuditActor;
  requestId: string | null;
  /**
   * The provider whose route the event came in through, which vouches for `event.actor` (a
   * webhook's signature, or `ci` for what a CI token posts); undefined: the event's own
   * `provider` (a simulation, which changes nothing).
   */
  provider?: string;
}
