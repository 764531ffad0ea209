import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditEntryInput } from '../../../src/domain/audit/audit-entry.js';
import {
  canonicalJson,
  computeAuditHash,
  GENESIS_HASH,
} from '../../../src/domain/audit/compute-audit-hash.js';
import { auditInput } from '../../support/audit-fixtures.js';

/** The same keys in reverse insertion order, at every level. */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([key, item]) => [key, reversedKeys(item)]),
    ) as T;
  }
  return value;
}

describe('computeAuditHash', () => {
  it('the genesis hash is 64 zeros', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('is a lowercase SHA-256 hex digest and deterministic', () => {
    const entry = auditInput();
    const hash = computeAuditHash(GENESIS_HASH, 1, entry);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(computeAuditHash(GENESIS_HASH, 1, auditInput())).toBe(hash);
    expect(computeAuditHash(GENESIS_HASH, 1, structuredClone(entry))).toBe(hash);
  });

  it('does not depend on the order of keys in the entry or inside before/after', () => {
    const entry = auditInput({
      before: { z: 1, a: { y: [1, { d: 2, c: 3 }], b: null } },
      after: { b: 'x', a: 'y' },
    });
    expect(computeAuditHash(GENESIS_HASH, 7, reversedKeys(entry))).toBe(
      computeAuditHash(GENESIS_HASH, 7, entry),
    );
  });

  it('hashes the canonical JSON of {prevHash, seq, ...fields}: sorted keys, no whitespace', () => {
    expect(canonicalJson({ b: [1, { d: true, c: null }], a: 'x y' })).toBe(
      '{"a":"x y","b":[1,{"c":null,"d":true}]}',
    );
    expect(canonicalJson({ a: undefined, b: [undefined], c: Number.NaN })).toBe(
      '{"b":[null],"c":null}',
    );
  });

  it('ignores seq, prevHash and hash carried by an AuditEntry passed as the entry', () => {
    const entry = auditInput();
    const hash = computeAuditHash(GENESIS_HASH, 1, entry);
    const stored = { ...entry, seq: 99, prevHash: 'f'.repeat(64), hash: 'e'.repeat(64) };
    expect(computeAuditHash(GENESIS_HASH, 1, stored)).toBe(hash);
  });

  const changes: [string, Partial<AuditEntryInput>][] = [
    ['occurredAt', { occurredAt: '2025-08-12T10:00:00.001Z' }],
    ['actor.type', { actor: { type: 'oidc', id: 'tok_1', name: 'ci-bot' } }],
    ['actor.id', { actor: { type: 'token', id: 'tok_2', name: 'ci-bot' } }],
    ['actor.name', { actor: { type: 'token', id: 'tok_1', name: null } }],
    ['action', { action: 'story.deleted' }],
    ['targetType', { targetType: 'token' }],
    ['targetId', { targetId: 'INT-002' }],
    ['targetId → null', { targetId: null }],
    ['before', { before: { status: 'ready', labels: ['b', 'a'] } }],
    ['before → null', { before: null }],
    ['after', { after: { status: 'in_progress', labels: ['a', 'b'], extra: null } }],
    ['after number vs string', { after: { status: 'in_progress', labels: ['a', 'b'], n: '1' } }],
    ['requestId', { requestId: 'req-2' }],
    ['operationId', { operationId: 'op-1' }],
    ['deliveryId', { deliveryId: 'd-1' }],
    ['batchId', { batchId: 'b-1' }],
    ['reason', { reason: 'because' }],
  ];

  it.each(changes)('changes when %s changes', (_field, change) => {
    const base = computeAuditHash(GENESIS_HASH, 1, auditInput());
    expect(computeAuditHash(GENESIS_HASH, 1, auditInput(change))).not.toBe(base);
  });

  it('changes with seq and with prevHash', () => {
    const entry = auditInput();
    const base = computeAuditHash(GENESIS_HASH, 1, entry);
    expect(computeAuditHash(GENESIS_HASH, 2, entry)).not.toBe(base);
    expect(computeAuditHash('1'.repeat(64), 1, entry)).not.toBe(base);
  });

  it('distinguishes every pair of the changed entries from each other', () => {
    const hashes = changes.map(([, change]) =>
      computeAuditHash(GENESIS_HASH, 1, auditInput(change)),
    );
    expect(new Set(hashes).size).toBe(changes.length);
  });
});

/** canonicalJson as first written (sort, map, join): the hashes of stored chains depend on it. */
function referenceCanonicalJson(value: unknown): string {
  const serialize = (item: unknown): string | undefined => {
    if (item !== null && typeof item === 'object' && 'toJSON' in item) {
      const toJSON = (item as { toJSON: unknown }).toJSON;
      if (typeof toJSON === 'function') return serialize(toJSON.call(item));
    }
    if (item === null) return 'null';
    switch (typeof item) {
      case 'string':
      case 'boolean':
      case 'number':
        return JSON.stringify(item);
      case 'object':
        break;
      default:
        return undefined;
    }
    if (Array.isArray(item)) return `[${item.map((x) => serialize(x) ?? 'null').join(',')}]`;
    const record = item as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = serialize(record[key]);
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
    }
    return `{${members.join(',')}}`;
  };
  return serialize(value) ?? 'null';
}

describe('canonicalJson and computeAuditHash stay as first written', () => {
  const odd = fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(undefined, Number.NaN, -0, Number.POSITIVE_INFINITY, new Date(0), () => 1),
    fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.constant(undefined))),
    fc.array(fc.oneof(fc.jsonValue(), fc.constant(undefined))),
  );

  it('writes what the first canonicalJson wrote', () => {
    fc.assert(
      fc.property(odd, (value) => {
        expect(canonicalJson(value)).toBe(referenceCanonicalJson(value));
      }),
      { numRuns: 500 },
    );
  });

  it('hashes what the first computeAuditHash hashed', () => {
    const entryFields = fc.record({
      before: fc.oneof(fc.jsonValue(), fc.constant(null)),
      after: fc.oneof(fc.jsonValue(), fc.constant(null)),
      reason: fc.oneof(fc.string(), fc.constant(null)),
      targetId: fc.oneof(fc.string({ unit: 'binary' }), fc.constant(null)),
      batchId: fc.oneof(fc.string(), fc.constant(null), fc.constant(undefined)),
    });
    fc.assert(
      fc.property(entryFields, fc.nat(), (fields, seq) => {
        const entry = auditInput(fields as Partial<AuditEntryInput>);
        const { actor, ...rest } = entry;
        const payload = referenceCanonicalJson({
          prevHash: GENESIS_HASH,
          seq,
          ...rest,
          actor: { type: actor.type, id: actor.id, name: actor.name },
        });
        const expected = createHash('sha256').update(payload, 'utf8').digest('hex');
        expect(computeAuditHash(GENESIS_HASH, seq, entry)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
