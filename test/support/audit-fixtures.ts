// Audit entries for tests: a plausible default with any field overridden.
import type { AuditEntry, AuditEntryInput } from '../../src/domain/audit/audit-entry.js';
import { computeAuditHash, GENESIS_HASH } from '../../src/domain/audit/compute-audit-hash.js';

export function auditInput(overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    occurredAt: '2025-08-12T10:00:00.000Z',
    actor: { type: 'token', id: 'tok_1', name: 'ci-bot' },
    action: 'story.updated',
    targetType: 'story',
    targetId: 'INT-001',
    before: { status: 'ready', labels: ['a', 'b'] },
    after: { status: 'in_progress', labels: ['a', 'b'] },
    requestId: 'req-1',
    operationId: null,
    deliveryId: null,
    batchId: null,
    reason: null,
    ...overrides,
  };
}

/** A correctly chained log of `inputs`, seq 1..n from the genesis hash. */
export function chain(inputs: AuditEntryInput[]): AuditEntry[] {
  let prevHash = GENESIS_HASH;
  return inputs.map((input, index) => {
    const seq = index + 1;
    const hash = computeAuditHash(prevHash, seq, input);
    const entry: AuditEntry = { ...input, seq, prevHash, hash };
    prevHash = hash;
    return entry;
  });
}
