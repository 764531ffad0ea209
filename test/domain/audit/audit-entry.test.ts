import { describe, expect, it } from 'vitest';
import { type AuditEntryInput, auditEntry } from '../../../src/domain/audit/audit-entry.js';
import { computeAuditHash, GENESIS_HASH } from '../../../src/domain/audit/compute-audit-hash.js';

const actor = { type: 'token', id: 'tok_1', name: 'ci' } as const;

describe('auditEntry', () => {
  it('fills every field left out with null, so the entry equals the full literal it replaces', () => {
    const literal: AuditEntryInput = {
      occurredAt: '2026-12-03T10:00:00.000Z',
      actor,
      action: 'delivery.replayed',
      targetType: 'delivery',
      targetId: 'dlv_1',
      before: null,
      after: null,
      requestId: null,
      operationId: null,
      deliveryId: null,
      batchId: null,
      reason: null,
    };
    const built = auditEntry({
      occurredAt: '2026-12-03T10:00:00.000Z',
      actor,
      action: 'delivery.replayed',
      targetType: 'delivery',
      targetId: 'dlv_1',
    });
    expect(built).toStrictEqual(literal);
    expect(computeAuditHash(GENESIS_HASH, 1, built)).toBe(
      computeAuditHash(GENESIS_HASH, 1, literal),
    );
  });

  it('treats undefined as left out (an AuditContext field passed as is) and keeps falsy values', () => {
    const built = auditEntry({
      occurredAt: '2026-12-03T10:00:00.000Z',
      actor,
      action: 'story.updated',
      targetType: 'story',
      targetId: 'INT-1',
      before: false,
      after: 0,
      requestId: '',
      operationId: undefined,
      deliveryId: undefined,
      batchId: 'bat_1',
      reason: undefined,
    });
    expect(built).toStrictEqual({
      occurredAt: '2026-12-03T10:00:00.000Z',
      actor,
      action: 'story.updated',
      targetType: 'story',
      targetId: 'INT-1',
      before: false,
      after: 0,
      requestId: '',
      operationId: null,
      deliveryId: null,
      batchId: 'bat_1',
      reason: null,
    });
  });
});
