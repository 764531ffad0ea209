// ReconcileService over a fake HookDeliveriesClient: which events are redelivered (those whose
// delivery id is not in the inbox, failed or missing), which are left alone, which repositories
// are asked, and the one audit entry per run.

import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ForgeConfig } from '../../../src/config/config.js';
import type { AuditContext } from '../../../src/domain/audit/audit-context.js';
import type {
  HookDeliveriesClient,
  HookDelivery,
  RepositoryHook,
} from '../../../src/services/reconcile/github-hook-deliveries.js';
import { ReconcileService } from '../../../src/services/reconcile/reconcile-service.js';
import type { Store } from '../../../src/storage/store.js';
import { acmeForge } from '../../support/fake-github.js';
import { newDelivery } from '../../support/new-delivery.js';
import { describeEachStore } from '../../support/store-factories.js';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const clock = { now: () => NOW };
const context: AuditContext = {
  actor: { type: 'token', id: 'tok_admin', name: 'admin' },
  requestId: 'req-1',
};

function forge(fields: Partial<ForgeConfig>): ForgeConfig {
  return acmeForge('https://api.github.example', 'secret-token', fields);
}

/** Hooks and deliveries per repository; records what was listed and redelivered. */
class FakeClient implements HookDeliveriesClient {
  hooks = new Map<string, RepositoryHook[]>();
  deliveries = new Map<number, HookDelivery[]>();
  failing = new Map<string, string>();
  listedSince: Date[] = [];
  redelivered: { repository: string; hookId: number; deliveryId: number }[] = [];

  async listHooks(repository: string) {
    const failure = this.failing.get(repository);
    if (failure !== undefined) throw new Error(failure);
    return this.hooks.get(repository) ?? [];
  }
  async listDeliveries(_repository: string, hookId: number, since: Date) {
    this.listedSince.push(since);
    return (this.deliveries.get(hookId) ?? []).filter(
      (delivery) => Date.parse(delivery.deliveredAt) >= since.getTime(),
    );
  }
  async redeliver(repository: string, hookId: number, deliveryId: number) {
    this.redelivered.push({ repository, hookId, deliveryId });
  }
}

const shopOnly = forge({ id: 'github:acme/shop', owner: null, repository: 'acme/shop' });

let nextId = 1;
function attempt(
  guid: string,
  minutesAgo: number,
  fields: Partial<HookDelivery> = {},
): HookDelivery {
  return {
    id: nextId++,
    guid,
    deliveredAt: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
    status: 'OK',
    statusCode: 200,
    event: 'push',
    redelivery: false,
    ...fields,
  };
}

describeEachStore('reconciliation of missed deliveries', (open) => {
  let store: Store;
  let client: FakeClient;
  const service = (forges: ForgeConfig[]) =>
    new ReconcileService(store, forges, clock, () => client);

  beforeEach(async () => {
    store = await open();
    client = new FakeClient();
    client.hooks.set('acme/shop', [
      { id: 1, url: 'https://storyflow.example/webhooks/github', active: true },
      { id: 2, url: 'https://ci.example/hook', active: true },
      { id: 5, url: 'https://old.storyflow.example/webhooks/github', active: false },
    ]);
    await store.deliveries.insertDeliveries([
      newDelivery('dlv_1', { deliveryId: 'guid-received', repository: 'acme/shop' }),
      newDelivery('dlv_2', { deliveryId: 'guid-other', repository: 'acme/api' }),
      newDelivery('dlv_3', { deliveryId: 'guid-elsewhere', repository: 'globex/site' }),
    ]);
  });
  afterEach(async () => {
    await store.close();
  });

  it('redelivers the failed and the missing events, not those in the inbox, and audits the run once', async () => {
    const failed = attempt('guid-failed', 30, {
      statusCode: 502,
      status: 'Invalid HTTP Response: 502',
    });
    const missing = attempt('guid-missing', 20);
    client.deliveries.set(1, [
      missing,
      failed,
      attempt('guid-received', 10, { statusCode: 503, status: 'Invalid HTTP Response: 503' }),
      attempt('guid-received', 40),
    ]);
    client.deliveries.set(2, [attempt('guid-ci', 5, { statusCode: 500, status: 'x' })]);
    client.deliveries.set(5, [attempt('guid-inactive', 5, { statusCode: 500, status: 'x' })]);
    const summary = await service([shopOnly]).reconcile('24h', context);
    expect(summary).toEqual({
      since: '2026-12-02T12:00:00.000Z',
      repositories: ['acme/shop'],
      hooks: [],
      checked: 3,
      missing: 1,
      failed: 1,
      redelivered: 2,
      alreadyReceived: 1,
      errors: [],
      forges: [
        {
          forge: shopOnly.id,
          provider: 'github',
          repositories: ['acme/shop'],
          checked: 3,
          missing: 1,
          failed: 1,
          redelivered: 2,
          alreadyReceived: 1,
          errors: [],
        },
      ],
    });
    // Only hook 1 posts to storyflow; hook 2 (another service) and 5 (turned off) are never touched.
    expect(client.redelivered).toEqual([
      { repository: 'acme/shop', hookId: 1, deliveryId: missing.id },
      { repository: 'acme/shop', hookId: 1, deliveryId: failed.id },
    ]);
    const audit = await store.audit.list({ action: 'deliveries.reconciled', limit: 10 });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: context.actor,
      targetType: 'deliveries',
      requestId: 'req-1',
      after: summary,
      occurredAt: NOW.toISOString(),
    });
  });

  it('redelivers the latest attempt of an event, and gives up after three failed redeliveries', async () => {
    const latest = attempt('guid-twice', 5, {
      statusCode: 503,
      status: 'Invalid HTTP Response: 503',
      redelivery: true,
    });
    client.deliveries.set(1, [
      attempt('guid-twice', 50, { statusCode: 0, status: 'failed to connect' }),
      latest,
      ...[1, 2, 3].map((n) =>
        attempt('guid-hopeless', n, {
          statusCode: 400,
          status: 'Invalid HTTP Response: 400',
          redelivery: true,
        }),
      ),
      attempt('guid-hopeless', 60, { statusCode: 400, status: 'Invalid HTTP Response: 400' }),
    ]);
    const summary = await service([shopOnly]).reconcile('2h', context);
    expect(client.redelivered.map((call) => call.deliveryId)).toEqual([latest.id]);
    expect(summary).toMatchObject({ checked: 2, failed: 2, redelivered: 1 });
    expect(summary.errors).toEqual([
      {
        repository: 'acme/shop',
        message:
          'delivery guid-hopeless (push) failed 3 redeliveries (last: 400 Invalid HTTP Response: 400); not asked again',
      },
    ]);
  });

  it('an owner entry covers the repositories of that owner storyflow has heard from; a repository entry wins', async () => {
    client.hooks.set('acme/api', [
      { id: 3, url: 'https://storyflow.example/webhooks/github?x=1', active: true },
    ]);
    client.failing.set('acme/shop', 'GET /repos/acme/shop/hooks: 404 Not Found');
    const summary = await service([forge({})]).reconcile('24h', context);
    expect(summary.repositories).toEqual(['acme/api', 'acme/shop']);
    expect(summary.errors).toEqual([
      { repository: 'acme/shop', message: 'GET /repos/acme/shop/hooks: 404 Not Found' },
    ]);
    const pinned = await service([
      forge({}),
      forge({ id: 'github:acme/api', owner: null, repository: 'acme/api', hookId: 77 }),
    ]).reconcile('24h', context);
    expect(pinned.repositories).toEqual(['acme/api', 'acme/shop']);
    expect(client.listedSince).toHaveLength(2);
  });

  it('a repository with no hook posting to storyflow is reported; hookUrl picks the hook by its exact URL', async () => {
    const summary = await service([
      forge({ hookUrl: 'https://storyflow.internal/webhooks/github' }),
    ]).reconcile('1h', context);
    expect(summary.errors).toContainEqual({
      repository: 'acme/shop',
      message: 'no webhook of the repository posts to https://storyflow.internal/webhooks/github',
    });
  });

  it.each([
    ['4d', 'must be within the last 3 days (GitHub keeps deliveries for 3 days)'],
    ['2026-11-29T11:59:00Z', 'must be within the last 3 days (GitHub keeps deliveries for 3 days)'],
    ['2026-12-03T13:00:00Z', 'must not be in the future'],
    [
      'yesterday',
      'must be a duration back from now (30m, 24h, 3d) or an ISO-8601 time with a zone',
    ],
  ])('since %s is refused naming the field', async (since, message) => {
    await expect(service([forge({})]).reconcile(since, context)).rejects.toMatchObject({
      code: 'validation',
      extensions: { errors: [{ field: 'since', message }] },
    });
    expect(await store.audit.list({ action: 'deliveries.reconciled', limit: 1 })).toEqual([]);
  });

  it('a run while another holds the lock is refused with conflict', async () => {
    let release!: () => void;
    const held = store.runExclusive(
      'storyflow:deliveries-reconcile',
      () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    );
    await expect(service([forge({})]).reconcile('1h', context)).rejects.toMatchObject({
      code: 'conflict',
    });
    release();
    await held;
  });
});
