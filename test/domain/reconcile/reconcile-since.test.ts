// `since` for a reconciliation: durations and ISO times within GitHub's 3 days.
import { expect, it } from 'vitest';
import { reconcileSince } from '../../../src/domain/reconcile/reconcile-since.js';

const NOW = new Date('2026-12-03T12:00:00.000Z');

it.each([
  ['30m', '2026-12-03T11:30:00.000Z'],
  ['24h', '2026-12-02T12:00:00.000Z'],
  ['3d', '2026-11-30T12:00:00.000Z'],
  ['2026-12-03T10:15:00Z', '2026-12-03T10:15:00.000Z'],
  ['2026-12-03T12:15:00+02:00', '2026-12-03T10:15:00.000Z'],
  ['2026-12-03T12:00:00.000Z', '2026-12-03T12:00:00.000Z'],
])('%s starts at %s', (input, expected) => {
  expect(reconcileSince(input, NOW)).toEqual({ since: new Date(expected) });
});

it.each([
  ['72h1m', 'must be a duration'],
  ['73h', 'within the last 3 days'],
  ['2026-12-03T10:15:00', 'must be a duration'],
  ['2026-12-03T12:00:01Z', 'must not be in the future'],
  ['2026-02-30T10:00:00Z', 'not a valid time'],
  ['', 'must be a duration'],
])('%j is refused: %s', (input, message) => {
  const result = reconcileSince(input, NOW);
  expect('error' in result && result.error).toContain(message);
});
