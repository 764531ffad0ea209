// The person and forge login an audit actor may carry (issue #17 point 7): covered by the hash
// when present, left out of it when absent, so entries written before people existed verify.
import { describe, expect, it } from 'vitest';
import {
  type AuditActor,
  auditEntry,
  auditEntryInputOf,
  normalizeAuditEntryInput,
  storedActor,
} from '../../../src/domain/audit/audit-entry.js';
import { computeAuditHash, GENESIS_HASH } from '../../../src/domain/audit/compute-audit-hash.js';

const entry = (actor: AuditActor) =>
  auditEntry({
    occurredAt: '2025-09-01T10:00:00.000Z',
    actor,
    action: 'story.automated',
    targetType: 'story',
    targetId: 'INT-003',
  });
const webhook: AuditActor = { type: 'webhook', id: 'gh-1', name: 'github' };

describe('an audit actor naming a person', () => {
  it('without person and login, hashes as entries did before people existed', () => {
    const before = computeAuditHash(GENESIS_HASH, 1, entry(webhook));
    expect(
      computeAuditHash(
        GENESIS_HASH,
        1,
        entry(storedActor({ ...webhook, person: null, login: null })),
      ),
    ).toBe(before);
    expect(computeAuditHash(GENESIS_HASH, 1, normalizeAuditEntryInput(entry(webhook)))).toBe(
      before,
    );
  });

  it('the person and the login are covered by the hash', () => {
    const plain = computeAuditHash(GENESIS_HASH, 1, entry(webhook));
    const ada = computeAuditHash(
      GENESIS_HASH,
      1,
      entry({ ...webhook, person: 'Ada Lovelace', login: 'github:ada' }),
    );
    const eve = computeAuditHash(
      GENESIS_HASH,
      1,
      entry({ ...webhook, person: 'Eve', login: 'github:ada' }),
    );
    expect(new Set([plain, ada, eve]).size).toBe(3);
  });

  it('keeps person and login through normalizing and copying', () => {
    const actor = { ...webhook, person: 'Ada Lovelace', login: 'github:ada' };
    expect(normalizeAuditEntryInput(entry(actor)).actor).toEqual(actor);
    expect(auditEntryInputOf(entry(actor)).actor).toEqual(actor);
  });
});
