// The events a simulation runs: a provider payload through its adapter, or normalized events
// as a CI system would post them (each validated, its index named when it is not one).
import { Value } from '@sinclair/typebox/value';
import {
  type NormalizedEvent,
  type NormalizedEventInput,
  NormalizedEventSchema,
} from '../../domain/events/normalized-event.js';
import { ProblemError } from '../../errors/problem-error.js';
import { findProvider, webhookProviders } from '../../providers/index.js';

export type SimulationInput =
  | { provider: string; event: string; payload: unknown }
  | { events: unknown[] };

/** The normalized events to simulate, and why a payload stands for none. */
export function simulationEvents(input: SimulationInput): {
  events: NormalizedEvent[];
  ignored?: string;
} {
  if ('provider' in input) {
    const provider = findProvider(webhookProviders, input.provider);
    const result =
      provider === undefined
        ? { status: 'ignored' as const, reason: `no adapter for provider ${input.provider}` }
        : provider.normalize(input.event, input.payload);
    return result.status === 'events'
      ? { events: result.events }
      : { events: [], ignored: result.reason };
  }
  const events = input.events.map((event, index) => {
    const first = Value.Errors(NormalizedEventSchema, event).First();
    if (first !== undefined) {
      const field = `events.${index}${first.path.replaceAll('/', '.')}`;
      throw new ProblemError('validation', `${field}: ${first.message}`, {
        errors: [{ field, message: first.message }],
      });
    }
    const normalized = event as NormalizedEventInput;
    return { ...normalized, provider: normalized.provider ?? 'ci' };
  });
  return { events };
}
