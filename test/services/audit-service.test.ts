import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/domain/audit/audit-entry.js';
import { computeAuditHash } from '../../src/domain/audit/compute-audit-hash.js';
import { ProblemError } from '../../src/errors/problem-error.js';
import {
  AUDIT_VERIFY_PAGE_SIZE,
  AuditService,
  decodeAuditCursor,
  encodeAuditCursor,
} from '../../src/services/audit-service.js';
import type { Database } from '../../src/storage/database.js';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import type { Store } from '../../src/storage/store.js';
import { auditInput } from '../support/audit-fixtures.js';
import { describeEachStore } from '../support/store-factories.js';

describe('audit cursors', () => {
  it('round-trip a seq', () => {
    for (const seq of [0, 1, 42, 2 ** 40])
      expect(decodeAuditCursor(encodeAuditCursor(seq))).toBe(seq);
  });

  it.each([
    '',
    '!!!',
    Buffer.from('-1').toString('base64url'),
    Buffer.from('01').toString('base64url'),
    Buffer.from('1.5').toString('base64url'),
    Buffer.from('abc').toString('base64url'),
    `${encodeAuditCursor(12)}=`,
  ])('rejects %j as a validation problem on the cursor field', (cursor) => {
    let thrown: unknown;
    try {
      decodeAuditCursor(cursor);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProblemError);
    expect(thrown).toMatchObject({
      code: 'validation',
      extensions: { errors: [{ field: 'cursor', message: expect.any(String) }] },
    });
  });
});

describeEachStore('audit service', (open) => {
  let store: Store;
  let db: Kysely<Database>;
  let service: AuditService;

  beforeEach(async () => {
    store = await open();
    // The test factory hands back the KyselyStore itself (only close() is wrapped).
    db = (store as KyselyStore).kysely;
    service = new AuditService(store);
  });

  afterEach(async () => {
    await store.close();
  });

  async function appendLog(count: number): Promise<AuditEntry[]> {
    return store.transaction((tx) =>
      tx.audit.append(
        Array.from({ length: count }, (_, index) =>
          auditInput({ targetId: `INT-${index + 1}`, after: { n: index + 1 } }),
        ),
      ),
    );
  }

  describe('list', () => {
    it('pages with an opaque cursor until nextCursor is null', async () => {
      await appendLog(5);
      const first = await service.list({ limit: 2 });
      expect(first.items.map((entry) => entry.seq)).toEqual([1, 2]);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await service.list({ limit: 2, cursor: first.nextCursor ?? '' });
      expect(second.items.map((entry) => entry.seq)).toEqual([3, 4]);
      const third = await service.list({ limit: 2, cursor: second.nextCursor ?? '' });
      expect(third.items.map((entry) => entry.seq)).toEqual([5]);
      expect(third.nextCursor).toBeNull();
    });

    it('has no next cursor when the page is exactly full', async () => {
      await appendLog(2);
      expect((await service.list({ limit: 2 })).nextCursor).toBeNull();
    });

    it('applies filters across pages', async () => {
      await appendLog(6);
      const page = await service.list({ targetId: 'INT-4' });
      expect(page).toEqual({ items: [expect.objectContaining({ seq: 4 })], nextCursor: null });
      const story = await service.list({ story: 'INT-2', limit: 1 });
      expect(story.items.map((entry) => entry.seq)).toEqual([2]);
    });

    it('rejects a bad cursor with a validation problem', async () => {
      await expect(service.list({ cursor: 'not-a-cursor' })).rejects.toMatchObject({
        code: 'validation',
        extensions: { errors: [{ field: 'cursor' }] },
      });
    });
  });

  describe('verify', () => {
    it('is ok on an empty log', async () => {
      expect(await service.verify()).toEqual({ ok: true, checked: 0, lastSeq: 0 });
    });

    it('is ok on an intact log', async () => {
      await appendLog(5);
      await store.audit.append([auditInput({ action: 'token.created', targetType: 'token' })]);
      expect(await service.verify()).toEqual({ ok: true, checked: 6, lastSeq: 6 });
    });

    it('verifies across pages', async () => {
      await appendLog(AUDIT_VERIFY_PAGE_SIZE * 2 + 3);
      const total = AUDIT_VERIFY_PAGE_SIZE * 2 + 3;
      expect(await service.verify()).toEqual({ ok: true, checked: total, lastSeq: total });
    });

    it('finds after_json of entry 3 edited in the database as content-altered at seq 3', async () => {
      await appendLog(5);
      await db
        .updateTable('audit_entries')
        .set({ after_json: JSON.stringify({ n: 300 }) })
        .where('seq', '=', 3)
        .execute();
      const result = await service.verify();
      expect(result).toMatchObject({
        ok: false,
        checked: 2,
        lastSeq: 2,
        firstBreak: { seq: 3, reason: 'content-altered' },
      });
    });

    it('finds an edited column that is not JSON any more', async () => {
      await appendLog(3);
      await db
        .updateTable('audit_entries')
        .set({ before_json: '{oops' })
        .where('seq', '=', 2)
        .execute();
      expect((await service.verify()).firstBreak).toMatchObject({
        seq: 2,
        reason: 'content-altered',
      });
    });

    it('finds entry 2 deleted from the database as a break at seq 3', async () => {
      await appendLog(5);
      await db.deleteFrom('audit_entries').where('seq', '=', 2).execute();
      expect(await service.verify()).toMatchObject({
        ok: false,
        checked: 1,
        lastSeq: 1,
        firstBreak: { seq: 3, reason: 'sequence-gap' },
      });
    });

    it('finds the last entries deleted as chain-broken naming the head', async () => {
      await appendLog(5);
      await db.deleteFrom('audit_entries').where('seq', '>', 3).execute();
      const result = await service.verify();
      expect(result).toMatchObject({
        ok: false,
        checked: 3,
        lastSeq: 3,
        firstBreak: { seq: 4, reason: 'chain-broken' },
      });
      expect(result.firstBreak?.message).toContain('head is at seq 5');
      expect(result.firstBreak?.message).toContain('entries 4..5 are missing');
    });

    it('finds every entry deleted as chain-broken naming the head', async () => {
      await appendLog(2);
      await db.deleteFrom('audit_entries').execute();
      const result = await service.verify();
      expect(result).toMatchObject({ ok: false, firstBreak: { seq: 1, reason: 'chain-broken' } });
      expect(result.firstBreak?.message).toContain('head');
    });

    it('finds an entry changed and rehashed in the database as a break at the next entry', async () => {
      const entries = await appendLog(5);
      const original = entries[2]!;
      const edited = { ...original, after: { n: 'forged' } };
      await db
        .updateTable('audit_entries')
        .set({
          after_json: JSON.stringify(edited.after),
          hash: computeAuditHash(original.prevHash, 3, edited),
        })
        .where('seq', '=', 3)
        .execute();
      expect(await service.verify()).toMatchObject({
        ok: false,
        checked: 3,
        lastSeq: 3,
        firstBreak: { seq: 4, reason: 'chain-broken' },
      });
    });

    it('finds the last entry changed and rehashed through the head', async () => {
      const entries = await appendLog(3);
      const original = entries[2]!;
      const edited = { ...original, reason: 'forged' };
      await db
        .updateTable('audit_entries')
        .set({ reason: 'forged', hash: computeAuditHash(original.prevHash, 3, edited) })
        .where('seq', '=', 3)
        .execute();
      const result = await service.verify();
      expect(result).toMatchObject({ ok: false, firstBreak: { seq: 3, reason: 'chain-broken' } });
      expect(result.firstBreak?.message).toContain('head');
    });

    it('finds entries appended behind the head as chain-broken', async () => {
      const [entry] = await appendLog(1);
      const input = auditInput({ reason: 'forged' });
      const hash = computeAuditHash(entry!.hash, 2, input);
      await db
        .insertInto('audit_entries')
        .values({
          seq: 2,
          occurred_at: input.occurredAt,
          actor_type: input.actor.type,
          actor_id: input.actor.id,
          actor_name: input.actor.name,
          action: input.action,
          target_type: input.targetType,
          target_id: input.targetId,
          before_json: JSON.stringify(input.before),
          after_json: JSON.stringify(input.after),
          request_id: input.requestId,
          operation_id: null,
          delivery_id: null,
          batch_id: null,
          reason: input.reason,
          prev_hash: entry!.hash,
          hash,
        })
        .execute();
      const result = await service.verify();
      expect(result).toMatchObject({ ok: false, firstBreak: { seq: 2, reason: 'chain-broken' } });
      expect(result.firstBreak?.message).toContain('head');
    });

    it('is not fooled by appends that happen while it runs', async () => {
      await appendLog(AUDIT_VERIFY_PAGE_SIZE + 10);
      const [result] = await Promise.all([
        service.verify(),
        ...Array.from({ length: 5 }, () => store.audit.append([auditInput()])),
      ]);
      expect(result?.ok).toBe(true);
      expect((await service.verify()).ok).toBe(true);
    });
  });
});
