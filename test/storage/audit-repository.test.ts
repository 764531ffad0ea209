import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditEntryInput } from '../../src/domain/audit/audit-entry.js';
import { GENESIS_HASH } from '../../src/domain/audit/compute-audit-hash.js';
import { createAuditChainVerifier } from '../../src/domain/audit/verify-audit-chain.js';
import type { AuditQuery } from '../../src/storage/audit-repository.js';
import type { KyselyStore } from '../../src/storage/kysely-store.js';
import type { Store } from '../../src/storage/store.js';
import { auditInput } from '../support/audit-fixtures.js';
import { describeEachStore, openPostgresStoreInSchema } from '../support/store-factories.js';

async function allEntries(store: Store): Promise<AuditEntry[]> {
  return store.audit.scan(0, 100_000);
}

function expectUnbrokenChain(entries: AuditEntry[], length: number) {
  expect(entries.map((entry) => entry.seq)).toEqual(Array.from({ length }, (_, i) => i + 1));
  const verifier = createAuditChainVerifier();
  for (const entry of entries) expect(verifier.check(entry)).toBeUndefined();
}

/** Each writer's entries (batchId `writer-N`) are contiguous and in the order it appended them. */
function expectContiguousPerWriter(entries: AuditEntry[], writers: number, perWriter: number) {
  for (let writer = 0; writer < writers; writer += 1) {
    const seqs = entries
      .filter((entry) => entry.batchId === `writer-${writer}`)
      .map((entry) => entry.seq);
    const first = seqs[0] ?? 0;
    expect(seqs).toEqual(Array.from({ length: perWriter }, (_, i) => first + i));
  }
}

describeEachStore('audit repository', (open, factory) => {
  let store: Store;

  beforeEach(async () => {
    store = await open();
  });

  afterEach(async () => {
    await store.close();
  });

  it('starts empty with the head at seq 0 and the genesis hash', async () => {
    expect(await allEntries(store)).toEqual([]);
    expect(await store.audit.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
    expect(await store.audit.append([])).toEqual([]);
  });

  it('append in a transaction chains hashes and assigns seq 1..n', async () => {
    const first = await store.transaction((tx) =>
      tx.audit.append([auditInput({ targetId: 'A-1' }), auditInput({ targetId: 'A-2' })]),
    );
    const second = await store.transaction((tx) =>
      tx.audit.append([auditInput({ targetId: 'A-3' })]),
    );
    expect([...first, ...second].map((entry) => entry.seq)).toEqual([1, 2, 3]);
    expect(first[0]?.prevHash).toBe(GENESIS_HASH);
    expect(first[1]?.prevHash).toBe(first[0]?.hash);
    expect(second[0]?.prevHash).toBe(first[1]?.hash);

    const stored = await allEntries(store);
    expect(stored).toEqual([...first, ...second]);
    expectUnbrokenChain(stored, 3);
    expect(await store.audit.head()).toEqual({ seq: 3, hash: second[0]?.hash });
  });

  it('round-trips every field, including nested JSON and nulls', async () => {
    const input: AuditEntryInput = {
      occurredAt: '2025-08-12T10:00:00.123Z',
      actor: { type: 'webhook', id: 'delivery-9', name: null },
      action: 'story.transitioned',
      targetType: 'story',
      targetId: 'ÜNI-1',
      before: null,
      after: { status: 'done', nested: [1, 2.5, true, null, { ключ: '日本語 🚀' }], empty: {} },
      requestId: null,
      operationId: 'op-1',
      deliveryId: 'delivery-9',
      batchId: 'batch-1',
      reason: 'merged "PR" #12\nsecond line',
    };
    const [appended] = await store.audit.append([input]);
    expect(appended).toMatchObject(input);
    expect(await allEntries(store)).toEqual([appended]);
  });

  it('stores text the databases cannot hold verbatim so that the hash still verifies', async () => {
    const [appended] = await store.audit.append([
      auditInput({
        reason: 'nul\u0000 and lone \uD800 surrogate',
        after: { text: 'nul\u0000\uDC00' },
      }),
    ]);
    expect(appended?.reason).toBe('nul\uFFFD and lone \uFFFD surrogate');
    expect(appended?.after).toEqual({ text: 'nul\u0000\uDC00' });
    const stored = await allEntries(store);
    expect(stored).toEqual([appended]);
    expectUnbrokenChain(stored, 1);
  });

  it('a transaction that throws after append leaves no entry and does not advance the head', async () => {
    await store.audit.append([auditInput()]);
    const head = await store.audit.head();
    await expect(
      store.transaction(async (tx) => {
        await tx.audit.append([
          auditInput({ targetId: 'LOST-1' }),
          auditInput({ targetId: 'LOST-2' }),
        ]);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store.audit.head()).toEqual(head);
    expect((await allEntries(store)).map((entry) => entry.targetId)).toEqual(['INT-001']);

    const [next] = await store.audit.append([auditInput({ targetId: 'NEXT' })]);
    expect(next?.seq).toBe(2);
    expectUnbrokenChain(await allEntries(store), 2);
  });

  it('append outside a transaction runs in its own', async () => {
    const entries = await store.audit.append([auditInput(), auditInput(), auditInput()]);
    expect(entries.map((entry) => entry.seq)).toEqual([1, 2, 3]);
    expectUnbrokenChain(await allEntries(store), 3);
  });

  it('appends a large batch in one call', async () => {
    const inputs = Array.from({ length: 1234 }, (_, i) => auditInput({ targetId: `BIG-${i}` }));
    await store.transaction((tx) => tx.audit.append(inputs));
    expectUnbrokenChain(await allEntries(store), 1234);
  });

  it('several appends in one transaction chain on from each other, beside concurrent transactions', async () => {
    // The inbox worker appends once per delivery: the head is read once per transaction.
    await Promise.all(
      Array.from({ length: 10 }, (_, writer) =>
        store.transaction(async (tx) => {
          for (let index = 0; index < 4; index += 1) {
            await tx.audit.append([
              auditInput({ targetId: `W${writer}-${index}`, batchId: `writer-${writer}` }),
            ]);
            await new Promise((resolve) => setTimeout(resolve, (writer + index) % 3));
          }
        }),
      ),
    );
    const entries = await allEntries(store);
    expectUnbrokenChain(entries, 40);
    expectContiguousPerWriter(entries, 10, 4);
    expect(await store.audit.head()).toEqual({ seq: 40, hash: entries.at(-1)?.hash });
    // And the next transaction reads the head afresh.
    const [next] = await store.transaction((tx) =>
      tx.audit.append([auditInput({ targetId: 'after' })]),
    );
    expect(next?.seq).toBe(41);
    expect(next?.prevHash).toBe(entries.at(-1)?.hash);
  });

  it('20 concurrent transactions each appending 5 entries produce one unbroken chain of 100', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, writer) =>
        store.transaction(async (tx) => {
          // A read before the append, as a story change would do, widens the race window.
          await tx.stories.countStories();
          const appended = await tx.audit.append(
            Array.from({ length: 5 }, (_, index) =>
              auditInput({ targetId: `W${writer}-${index}`, batchId: `writer-${writer}` }),
            ),
          );
          await new Promise((resolve) => setTimeout(resolve, writer % 3));
          return appended;
        }),
      ),
    );
    const entries = await allEntries(store);
    expectUnbrokenChain(entries, 100);
    expectContiguousPerWriter(entries, 20, 5);
    expect(await store.audit.head()).toEqual({ seq: 100, hash: entries.at(-1)?.hash });
  });

  it.runIf(factory.name === 'postgres')(
    'two stores on the same PostgreSQL schema append concurrently without forking the chain',
    async () => {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
        (store as KyselyStore).kysely,
      );
      const other = await openPostgresStoreInSchema(rows[0]?.schema ?? '');
      try {
        await Promise.all(
          Array.from({ length: 16 }, (_, writer) =>
            (writer % 2 === 0 ? store : other).transaction(async (tx) => {
              await tx.audit.append([auditInput({ targetId: `X${writer}` })]);
              await new Promise((resolve) => setTimeout(resolve, 2));
              await tx.audit.append([auditInput({ targetId: `Y${writer}` })]);
            }),
          ),
        );
      } finally {
        await other.close();
      }
      expectUnbrokenChain(await allEntries(store), 32);
    },
  );

  describe('list', () => {
    let entries: AuditEntry[];

    beforeEach(async () => {
      entries = await store.transaction((tx) =>
        tx.audit.append([
          auditInput({ occurredAt: '2025-08-10T09:00:00.000Z', targetId: 'INT-001' }),
          auditInput({
            occurredAt: '2025-08-11T09:00:00.000Z',
            actor: { type: 'oidc', id: 'sub-alice', name: 'alice' },
            action: 'story.created',
            targetId: 'INT-002',
            operationId: 'op-1',
          }),
          auditInput({
            occurredAt: '2025-08-12T09:00:00.000Z',
            actor: { type: 'webhook', id: 'delivery-1', name: null },
            action: 'story.transitioned',
            targetId: 'INT-001',
            deliveryId: 'delivery-1',
            operationId: 'op-1',
          }),
          auditInput({
            occurredAt: '2025-08-12T09:00:00.000Z',
            action: 'token.created',
            targetType: 'token',
            targetId: 'INT-001',
          }),
          auditInput({
            occurredAt: '2025-08-13T09:00:00.000Z',
            actor: { type: 'system', id: 'system', name: 'alice' },
            action: 'story.deleted',
            targetId: 'INT-002',
          }),
        ]),
      );
    });

    async function seqs(query: Omit<AuditQuery, 'limit'>, limit = 100): Promise<number[]> {
      return (await store.audit.list({ ...query, limit })).map((entry) => entry.seq);
    }

    it('returns everything in seq order without filters', async () => {
      expect(await store.audit.list({ limit: 100 })).toEqual(entries);
    });

    it('filters by story: target type story and that id', async () => {
      expect(await seqs({ story: 'INT-001' })).toEqual([1, 3]);
      expect(await seqs({ story: 'INT-002' })).toEqual([2, 5]);
      expect(await seqs({ story: 'NOPE' })).toEqual([]);
    });

    it('filters by actor id and by actor name', async () => {
      expect(await seqs({ actor: 'sub-alice' })).toEqual([2]);
      expect(await seqs({ actor: 'alice' })).toEqual([2, 5]);
      expect(await seqs({ actor: 'ci-bot' })).toEqual([1, 4]);
      expect(await seqs({ actor: 'tok_1' })).toEqual([1, 4]);
      expect(await seqs({ actor: 'nobody' })).toEqual([]);
    });

    it('filters by action, target type and target id', async () => {
      expect(await seqs({ action: 'story.transitioned' })).toEqual([3]);
      expect(await seqs({ targetType: 'token' })).toEqual([4]);
      expect(await seqs({ targetId: 'INT-001' })).toEqual([1, 3, 4]);
      expect(await seqs({ targetType: 'story', targetId: 'INT-001' })).toEqual([1, 3]);
    });

    it('filters by since, inclusive', async () => {
      expect(await seqs({ since: '2025-08-12T09:00:00.000Z' })).toEqual([3, 4, 5]);
      expect(await seqs({ since: '2025-08-12T09:00:00.001Z' })).toEqual([5]);
      expect(await seqs({ since: '2025-08-12' })).toEqual([3, 4, 5]);
      expect(await seqs({ since: '2030-01-01T00:00:00.000Z' })).toEqual([]);
    });

    it('filters by operation id and delivery id', async () => {
      expect(await seqs({ operationId: 'op-1' })).toEqual([2, 3]);
      expect(await seqs({ deliveryId: 'delivery-1' })).toEqual([3]);
    });

    it('combines filters', async () => {
      expect(await seqs({ operationId: 'op-1', story: 'INT-001' })).toEqual([3]);
      expect(await seqs({ actor: 'alice', since: '2025-08-12T00:00:00.000Z' })).toEqual([5]);
    });

    it('pages by afterSeq and limit', async () => {
      expect(await seqs({}, 2)).toEqual([1, 2]);
      expect(await seqs({ afterSeq: 2 }, 2)).toEqual([3, 4]);
      expect(await seqs({ afterSeq: 4 }, 2)).toEqual([5]);
      expect(await seqs({ afterSeq: 5 }, 2)).toEqual([]);
      expect(await seqs({ story: 'INT-001', afterSeq: 1 }, 1)).toEqual([3]);
      expect(await seqs({}, 0)).toEqual([]);
      await expect(store.audit.list({ limit: -1 })).rejects.toThrow(RangeError);
    });

    it('scan returns entries after a seq in order', async () => {
      expect((await store.audit.scan(0, 2)).map((entry) => entry.seq)).toEqual([1, 2]);
      expect((await store.audit.scan(3, 10)).map((entry) => entry.seq)).toEqual([4, 5]);
      expect(await store.audit.scan(5, 10)).toEqual([]);
    });
  });
});
