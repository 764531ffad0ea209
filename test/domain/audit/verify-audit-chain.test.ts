import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/domain/audit/audit-entry.js';
import { computeAuditHash, GENESIS_HASH } from '../../../src/domain/audit/compute-audit-hash.js';
import {
  type AuditChainBreak,
  createAuditChainVerifier,
} from '../../../src/domain/audit/verify-audit-chain.js';
import { auditInput, chain } from '../../support/audit-fixtures.js';

function log(count = 5): AuditEntry[] {
  return chain(
    Array.from({ length: count }, (_, index) =>
      auditInput({ targetId: `INT-${index + 1}`, after: { n: index + 1 } }),
    ),
  );
}

/** The first break while feeding `entries` in order. */
function firstBreak(entries: AuditEntry[]): AuditChainBreak | undefined {
  const verifier = createAuditChainVerifier();
  for (const entry of entries) {
    const problem = verifier.check(entry);
    if (problem) return problem;
  }
  return undefined;
}

function at(entries: AuditEntry[], seq: number): AuditEntry {
  const entry = entries.find((candidate) => candidate.seq === seq);
  if (!entry) throw new Error(`no entry ${seq}`);
  return entry;
}

describe('createAuditChainVerifier', () => {
  it('accepts an intact chain and tracks checked, lastSeq and lastHash', () => {
    const entries = log(5);
    const verifier = createAuditChainVerifier();
    expect(verifier.checked).toBe(0);
    expect(verifier.lastHash).toBe(GENESIS_HASH);
    for (const entry of entries) expect(verifier.check(entry)).toBeUndefined();
    expect(verifier.checked).toBe(5);
    expect(verifier.lastSeq).toBe(5);
    expect(verifier.lastHash).toBe(at(entries, 5).hash);
  });

  it('continues from a given seq and hash', () => {
    const entries = log(5);
    const verifier = createAuditChainVerifier({ seq: 2, hash: at(entries, 2).hash });
    for (const entry of entries.slice(2)) expect(verifier.check(entry)).toBeUndefined();
  });

  it('finds a content edit as content-altered at that entry', () => {
    const entries = log(5);
    entries[2] = { ...at(entries, 3), after: { n: 300 } };
    expect(firstBreak(entries)).toMatchObject({ seq: 3, reason: 'content-altered' });
  });

  it('finds an edit inside a nested before value and in the actor', () => {
    const nested = log(3);
    nested[1] = { ...at(nested, 2), before: { status: 'ready', labels: ['a', 'c'] } };
    expect(firstBreak(nested)).toMatchObject({ seq: 2, reason: 'content-altered' });

    const actor = log(3);
    actor[0] = { ...at(actor, 1), actor: { type: 'system', id: 'tok_1', name: 'ci-bot' } };
    expect(firstBreak(actor)).toMatchObject({ seq: 1, reason: 'content-altered' });
  });

  it('finds a removed middle entry as a sequence gap at the entry after it', () => {
    const entries = log(5).filter((entry) => entry.seq !== 3);
    const problem = firstBreak(entries);
    expect(problem).toMatchObject({ seq: 4, reason: 'sequence-gap' });
    expect(problem?.message).toContain('entry 3 is missing');
  });

  it('finds a removed first entry', () => {
    expect(firstBreak(log(3).slice(1))).toMatchObject({ seq: 2, reason: 'sequence-gap' });
  });

  it('finds swapped entries', () => {
    const entries = log(5);
    const swapped = [at(entries, 1), at(entries, 3), at(entries, 2), at(entries, 4)];
    expect(firstBreak(swapped)).toMatchObject({ seq: 3, reason: 'sequence-gap' });
  });

  it('finds swapped contents with the seq numbers left in place', () => {
    const entries = log(5);
    const two = at(entries, 2);
    const three = at(entries, 3);
    entries[1] = { ...three, seq: 2 };
    entries[2] = { ...two, seq: 3 };
    expect(firstBreak(entries)).toMatchObject({ seq: 2, reason: 'chain-broken' });
  });

  it('finds a duplicated entry as out of order', () => {
    const entries = log(3);
    const problem = firstBreak([...entries, at(entries, 3)]);
    expect(problem).toMatchObject({ seq: 3, reason: 'sequence-gap' });
    expect(problem?.message).toContain('out of order');
  });

  it('finds a forged entry whose hash is recomputed but whose prevHash is wrong', () => {
    const entries = log(5);
    const forgedInput = auditInput({ action: 'story.deleted', targetId: 'INT-3' });
    const prevHash = 'a'.repeat(64);
    entries[2] = {
      ...forgedInput,
      seq: 3,
      prevHash,
      hash: computeAuditHash(prevHash, 3, forgedInput),
    };
    const problem = firstBreak(entries);
    expect(problem).toMatchObject({ seq: 3, reason: 'chain-broken' });
    expect(problem?.message).toContain(at(entries, 2).hash);
  });

  it('finds an edited entry rehashed onto the right prevHash at the entry after it', () => {
    const entries = log(5);
    const original = at(entries, 3);
    const edited = { ...original, after: { n: 'forged' } };
    entries[2] = { ...edited, hash: computeAuditHash(original.prevHash, 3, edited) };
    expect(firstBreak(entries)).toMatchObject({ seq: 4, reason: 'chain-broken' });
  });

  it('reports each break once and carries on from the entry it was given', () => {
    const entries = log(6);
    entries[1] = { ...at(entries, 2), reason: 'edited' };
    entries[4] = { ...at(entries, 5), reason: 'edited' };
    const verifier = createAuditChainVerifier();
    const problems = entries.map((entry) => verifier.check(entry)?.seq).filter(Boolean);
    expect(problems).toEqual([2, 5]);
    expect(verifier.checked).toBe(6);
  });
});
