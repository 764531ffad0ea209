// What a provider adapter returns for one webhook delivery.

import type { NormalizedEvent } from '../domain/events/normalized-event.js';

/**
 * Either the normalized events a delivery stands for (one or more, in the order they
 * happened) or the reason it stands for none. Adapters never throw: a payload that lacks what
 * a mapping needs is `ignored` with a reason, so a malformed-but-signed delivery cannot crash a
 * worker.
 */
export type AdapterResult =
  | { status: 'events'; events: NormalizedEvent[] }
  | { status: 'ignored'; reason: string };

export function emitted(...events: NormalizedEvent[]): AdapterResult {
  return { status: 'events', events };
}

export function ignored(reason: string): AdapterResult {
  return { status: 'ignored', reason };
}
