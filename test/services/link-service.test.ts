// The link service reads and writes only through the transaction it runs in: on a SQLite file
// under serve's write lock, a read through the store outside it waits for that same lock
// forever (docs-walk review, item 1). A refused link opens no transaction at all.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { AuditContext } from '../../src/domain/audit/audit-context.js';
import type { Principal } from '../../src/domain/auth/principal.js';
import type { Clock } from '../../src/domain/clock.js';
import { DEFAULT_WORKFLOW } from '../../src/domain/story/workflow.js';
import { ProblemError } from '../../src/errors/problem-error.js';
import { LinkService } from '../../src/services/link-service.js';
import { StoryService } from '../../src/services/story-service.js';
import type { Store } from '../../src/storage/store.js';
import { describeEachStore } from '../support/store-factories.js';

const clock: Clock = { now: () => new Date('2025-09-01T08:00:00.000Z') };
const context: AuditContext = {
  actor: { type: 'token', id: 'tok_ci', name: 'ci' },
  requestId: 'r',
};
const acmeOnly: Principal = {
  kind: 'token',
  id: 'tok_ci',
  name: 'ci',
  scopes: ['stories:write'],
  repositories: ['acme/*'],
  repositoryIds: null,
  rateLimit: null,
};

/** The store with every repository outside a transaction refusing to be used. */
function transactionOnly(store: Store): { store: Store; transactions: () => number } {
  let transactions = 0;
  const refuse = (name: string) =>
    new Proxy(
      {},
      {
        get: (_target, method) => () => {
          throw new Error(`store.${name}.${String(method)} used outside the transaction`);
        },
      },
    );
  const wrapped = new Proxy(store, {
    get(target, property) {
      if (property === 'transaction') {
        return <T>(fn: Parameters<Store['transaction']>[0]) => {
          transactions += 1;
          return target.transaction(fn) as Promise<T>;
        };
      }
      if (property === 'stories' || property === 'links' || property === 'audit') {
        return refuse(property);
      }
      return Reflect.get(target, property, target);
    },
  });
  return { store: wrapped, transactions: () => transactions };
}

describeEachStore('LinkService', (open) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    await new StoryService(store, DEFAULT_WORKFLOW, clock).create(
      { id: 'LNK-1', title: 'Linked' },
      context,
    );
  });
  afterEach(async () => {
    await store.close();
  });

  it('reads the story and the links through its own transaction only', async () => {
    const watched = transactionOnly(store);
    const links = new LinkService(watched.store, clock);
    const linked = await links.link(
      acmeOnly,
      'LNK-1',
      [{ type: 'branch', repository: 'acme/shop', key: 'lnk-1' }],
      context,
    );
    expect(linked).toEqual([
      { created: true, link: expect.objectContaining({ story: 'LNK-1', key: 'lnk-1' }) },
    ]);
    expect(watched.transactions()).toBe(1);
    await expect(
      links.link(
        acmeOnly,
        'NOPE-1',
        [{ type: 'branch', repository: 'acme/shop', key: 'x' }],
        context,
      ),
    ).rejects.toMatchObject({ code: 'story-not-found' });
  });

  it('refuses a repository the credential does not cover, or no repository name, before any transaction', async () => {
    const watched = transactionOnly(store);
    const links = new LinkService(watched.store, clock);
    for (const repository of ['evil/other', 'no slash here']) {
      const refused = await links
        .link(acmeOnly, 'LNK-1', [{ type: 'branch', repository, key: 'x' }], context)
        .catch((error: unknown) => error);
      expect(refused, repository).toBeInstanceOf(ProblemError);
      expect((refused as ProblemError).status, repository).toBe(
        repository === 'evil/other' ? 403 : 400,
      );
    }
    expect(watched.transactions()).toBe(0);
    expect(await store.links.listLinks('LNK-1')).toEqual([]);
  });
});
