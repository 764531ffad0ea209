// The scheduled reconciliation: one run per interval whatever the number of instances, never two
// at once (PostgreSQL: two stores on one database, as two instances would be), started and
// stopped with the server.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ForgeConfig } from '../../../src/config/config.js';
import type { HookDeliveriesClient } from '../../../src/services/reconcile/github-hook-deliveries.js';
import { ReconcileSchedule } from '../../../src/services/reconcile/reconcile-schedule.js';
import { ReconcileService } from '../../../src/services/reconcile/reconcile-service.js';
import { openStore } from '../../../src/storage/open-store.js';
import type { Store } from '../../../src/storage/store.js';
import { acmeForge } from '../../support/fake-github.js';
import {
  dropPostgresSchema,
  openPostgresStoreInSchema,
  postgresTestUrl,
  uniqueSchemaName,
} from '../../support/store-factories.js';

const FORGE: ForgeConfig = acmeForge('https://api.github.example', 't', {
  id: 'github:acme/shop',
  owner: null,
  repository: 'acme/shop',
});
const CONFIG = { intervalMinutes: 10, lookbackHours: 24 };

/** A client whose hook listing waits until released, so two runs can overlap. */
function slowClient() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const calls: string[] = [];
  const client: HookDeliveriesClient = {
    async listHooks(repository) {
      calls.push(repository);
      await gate;
      return [];
    },
    async listDeliveries() {
      return [];
    },
    async redeliver() {},
  };
  return { client, calls, release };
}

function schedules(stores: Store[], client: HookDeliveriesClient) {
  let now = new Date('2026-12-03T12:00:00.000Z').getTime();
  const clock = { now: () => new Date(now) };
  return {
    later: (minutes: number) => {
      now += minutes * 60_000;
    },
    instances: stores.map(
      (store) =>
        new ReconcileSchedule(
          new ReconcileService(store, [FORGE], clock, () => client),
          CONFIG,
          clock,
        ),
    ),
  };
}

async function runTogether(instances: ReconcileSchedule[], release: () => void) {
  const runs = instances.map((instance) => instance.runOnce());
  // Let both reach the lock before the first run finishes.
  await new Promise((resolve) => setTimeout(resolve, 200));
  release();
  return Promise.all(runs);
}

describe.skipIf(!postgresTestUrl())('reconcile schedule on PostgreSQL, two instances', () => {
  const schema = uniqueSchemaName('sf_reconcile');
  let stores: Store[];

  beforeEach(async () => {
    stores = [await openPostgresStoreInSchema(schema), await openPostgresStoreInSchema(schema)];
  });
  afterEach(async () => {
    for (const store of stores) await store.close();
    await dropPostgresSchema(schema);
  });

  it('runs once per interval and never on both at once', async () => {
    const slow = slowClient();
    const { instances, later } = schedules(stores, slow.client);
    const [a, b] = await runTogether(instances, slow.release);
    expect([a, b].filter((summary) => summary !== undefined)).toHaveLength(1);
    expect(slow.calls).toEqual(['acme/shop']);
    // Within the interval: the other instance's run counts.
    later(5);
    expect(await instances[1]!.runOnce()).toBeUndefined();
    expect(await instances[0]!.runOnce()).toBeUndefined();
    // The next interval: one of them runs it.
    later(5);
    expect(await instances[1]!.runOnce()).toMatchObject({ repositories: ['acme/shop'] });
    expect(await instances[0]!.runOnce()).toBeUndefined();
    expect(slow.calls).toHaveLength(2);
    const audit = await stores[0]!.audit.list({ action: 'deliveries.reconciled', limit: 10 });
    expect(audit.map((entry) => entry.actor)).toEqual([
      { type: 'system', id: 'system', name: 'storyflow' },
      { type: 'system', id: 'system', name: 'storyflow' },
    ]);
  });
});

describe('reconcile schedule on SQLite', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  it('two runs at once in one process: one runs, the other is skipped', async () => {
    const slow = slowClient();
    const { instances } = schedules([store, store], slow.client);
    const results = await runTogether(instances, slow.release);
    expect(results.filter((summary) => summary !== undefined)).toHaveLength(1);
    expect(slow.calls).toHaveLength(1);
  });

  it('start runs at once and then every interval; stop waits for the run under way', async () => {
    const slow = slowClient();
    slow.release();
    const clock = { now: () => new Date() };
    const ran: unknown[] = [];
    const schedule = new ReconcileSchedule(
      new ReconcileService(store, [FORGE], clock, () => slow.client),
      CONFIG,
      clock,
      { onRun: (summary) => ran.push(summary) },
    );
    schedule.start();
    await expect.poll(() => ran.length).toBe(1);
    await schedule.stop();
    expect(slow.calls).toEqual(['acme/shop']);
  });

  it('stop aborts the call under way and leaves the rest; what was done is audited', async () => {
    const clock = { now: () => new Date() };
    const asked: string[] = [];
    const hanging = (signal?: AbortSignal): HookDeliveriesClient => ({
      listHooks: (repository) => {
        asked.push(repository);
        return new Promise((_, reject) =>
          signal?.addEventListener('abort', () => reject(new Error('stopped'))),
        );
      },
      listDeliveries: async () => [],
      redeliver: async () => {},
    });
    const schedule = new ReconcileSchedule(
      new ReconcileService(
        store,
        [FORGE, { ...FORGE, id: 'github:acme/api', repository: 'acme/api' }],
        clock,
        (_forge, signal) => hanging(signal),
      ),
      CONFIG,
      clock,
    );
    schedule.start();
    await expect.poll(() => asked.length).toBe(1);
    await schedule.stop();
    expect(asked).toHaveLength(1);
    const [entry] = await store.audit.list({ action: 'deliveries.reconciled', limit: 5 });
    expect(entry?.after).toMatchObject({
      repositories: [asked[0]],
      errors: [{ repository: asked[0], message: 'stopped' }],
    });
  });
});
