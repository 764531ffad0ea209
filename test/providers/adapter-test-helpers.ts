import { Value } from '@sinclair/typebox/value';
import { expect } from 'vitest';
import {
  type NormalizedEvent,
  NormalizedEventSchema,
} from '../../src/domain/events/normalized-event.js';
import type { AdapterResult } from '../../src/providers/adapter-result.js';

/** The events of `result`, after checking each one against the published schema. */
export function eventsOf(result: AdapterResult): NormalizedEvent[] {
  if (result.status !== 'events') {
    throw new Error(`expected events, got ignored: ${result.reason}`);
  }
  for (const event of result.events) expectSchemaValid(event);
  return result.events;
}

export function kindsOf(result: AdapterResult): string[] | string {
  return result.status === 'events' ? result.events.map((event) => event.kind) : 'ignored';
}

export function expectSchemaValid(event: NormalizedEvent): void {
  const errors = [...Value.Errors(NormalizedEventSchema, event)].map(
    (error) => `${error.path}: ${error.message}`,
  );
  expect(errors, JSON.stringify(event)).toEqual([]);
}

/** Checks the result is well formed whatever the input was: never a throw, events valid. */
export function expectWellFormed(result: AdapterResult): void {
  if (result.status === 'ignored') {
    expect(typeof result.reason).toBe('string');
    expect(result.reason).not.toBe('');
    return;
  }
  expect(result.status).toBe('events');
  expect(result.events.length).toBeGreaterThan(0);
  for (const event of result.events) expectSchemaValid(event);
}

/** Replaces fields chosen by index (over a depth-first walk of the payload) with new values. */
export function replaceFields(
  payload: Record<string, any>,
  replacements: Array<[number, unknown]>,
): void {
  const slots: Array<[Record<string, any>, string]> = [];
  const walk = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    for (const key of Object.keys(node)) {
      slots.push([node as Record<string, any>, key]);
      walk((node as Record<string, any>)[key]);
    }
  };
  walk(payload);
  for (const [index, value] of replacements) {
    const slot = slots[index % slots.length];
    if (slot) slot[0][slot[1]] = value;
  }
}
