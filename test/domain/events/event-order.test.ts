import { describe, expect, it } from 'vitest';
import {
  eventSubject,
  type FactPosition,
  factPosition,
  isOlderFact,
  mergeFactPosition,
} from '../../../src/domain/events/event-order.js';
import type { NormalizedEvent } from '../../../src/domain/events/normalized-event.js';

const base = { provider: 'github', repository: 'acme/shop' } as const;
const at = (occurredAt: string | null, sequence: number | null = null): FactPosition => ({
  occurredAt,
  sequence,
});

describe('eventSubject (what an event is a fact about)', () => {
  it('a deployment is its provider, id and environment', () => {
    const event: NormalizedEvent = {
      ...base,
      kind: 'deployment.succeeded',
      environment: 'production',
      deployment: { id: '42', status: 'success' },
    };
    expect(eventSubject(event)).toEqual({
      type: 'deployment',
      repository: 'acme/shop',
      key: 'github:42@production',
    });
  });

  it('one commit deployed to two environments is two deployments', () => {
    const deployment = { id: 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391', status: 'success' };
    const staging = eventSubject({
      ...base,
      kind: 'deployment.succeeded',
      environment: 'staging',
      deployment,
    });
    const production = eventSubject({
      ...base,
      kind: 'deployment.failed',
      environment: 'production',
      deployment,
    });
    expect(staging?.key).not.toBe(production?.key);
  });

  it('a pipeline is its run id, a pull request its number', () => {
    expect(
      eventSubject({ ...base, kind: 'pipeline.failed', pipeline: { id: '7', status: 'failure' } }),
    ).toEqual({ type: 'pipeline', repository: 'acme/shop', key: 'github:7' });
    const pr = {
      number: 3,
      title: '',
      body: '',
      source: 'a',
      target: 'main',
      url: '',
      draft: false,
    };
    expect(eventSubject({ ...base, kind: 'pr.merged', pr })).toEqual({
      type: 'pr',
      repository: 'acme/shop',
      key: 'github:3',
    });
  });

  it('pushes, branches, releases and events that name no id have no subject', () => {
    expect(eventSubject({ ...base, kind: 'push', branch: 'main' })).toBeUndefined();
    expect(eventSubject({ ...base, kind: 'branch.created', branch: 'x' })).toBeUndefined();
    expect(eventSubject({ ...base, kind: 'deployment.failed', environment: 'p' })).toBeUndefined();
    expect(
      eventSubject({ ...base, kind: 'release.published', release: { tag: 'v1' } }),
    ).toBeUndefined();
  });

  it('a key too long for an index is stored as its SHA-256', () => {
    const subject = eventSubject({
      ...base,
      kind: 'pipeline.started',
      pipeline: { id: 'x'.repeat(5000), status: 'running' },
    });
    expect(subject?.key).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('isOlderFact', () => {
  it('an earlier time is older, a later or equal one is not', () => {
    expect(isOlderFact(at('2025-01-01T10:00:00.000Z'), at('2025-01-01T10:00:01.000Z'))).toBe(true);
    expect(isOlderFact(at('2025-01-01T10:00:02.000Z'), at('2025-01-01T10:00:01.000Z'))).toBe(false);
    expect(isOlderFact(at('2025-01-01T10:00:01.000Z'), at('2025-01-01T10:00:01.000Z'))).toBe(false);
  });

  it('the sequence decides before the time (a re-run attempt, a newer status id)', () => {
    expect(isOlderFact(at('2025-01-01T11:00:00.000Z', 1), at('2025-01-01T10:00:00.000Z', 2))).toBe(
      true,
    );
    expect(isOlderFact(at('2025-01-01T09:00:00.000Z', 3), at('2025-01-01T10:00:00.000Z', 2))).toBe(
      false,
    );
    // Equal sequences: the time decides.
    expect(isOlderFact(at('2025-01-01T09:00:00.000Z', 2), at('2025-01-01T10:00:00.000Z', 2))).toBe(
      true,
    );
  });

  it('without anything to compare, a fact is not older: arrival order decides', () => {
    expect(isOlderFact(at(null), at('2025-01-01T10:00:00.000Z'))).toBe(false);
    expect(isOlderFact(at('2025-01-01T10:00:00.000Z'), at(null))).toBe(false);
    expect(isOlderFact(at(null, 1), at('2025-01-01T10:00:00.000Z'))).toBe(false);
  });
});

describe('factPosition and mergeFactPosition', () => {
  it('reads occurredAt in any offset as UTC, and the sequence', () => {
    expect(
      factPosition({
        ...base,
        kind: 'pr.opened',
        occurredAt: '2025-01-01T12:00:00+02:00',
        sequence: 4,
      }),
    ).toEqual(at('2025-01-01T10:00:00.000Z', 4));
  });

  it('a fact without a time keeps the newest time applied so far', () => {
    expect(mergeFactPosition(at(null, 3), at('2025-01-01T10:00:00.000Z', 2))).toEqual(
      at('2025-01-01T10:00:00.000Z', 3),
    );
    expect(mergeFactPosition(at('2025-01-01T11:00:00.000Z'), undefined)).toEqual(
      at('2025-01-01T11:00:00.000Z'),
    );
  });
});
