import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { branchPush, postGithub, webhookTestConfig } from '../support/webhooks.js';

describe('storyflow deliveries', () => {
  let server: TestServer;
  let failing = true;
  beforeEach(async () => {
    failing = true;
    server = await startTestServer(await openStore('sqlite::memory:'), {
      deliveryHandler: {
        async handle() {
          if (failing) throw new Error('handler down');
          return { operations: [] };
        },
      },
      config: {
        webhooks: webhookTestConfig(),
        inbox: {
          max: 1000,
          leaseMs: 30_000,
          retrySchedule: [],
          batchSize: 10,
          pollMs: 50,
          workers: false,
          workerNiceness: 0,
        },
      },
    });
  });
  afterEach(async () => {
    await server.close();
  });
  const cli = (...args: string[]) =>
    runCliInProcess([...args, '--url', server.url, '--token', server.token]);

  it('lists deliveries and replays every dead one matching a filter', async () => {
    for (let index = 0; index < 3; index++) {
      await postGithub(server.url, 'push', branchPush(), { deliveryId: randomUUID() });
    }
    await server.inboxWorker.runOnce(); // an empty retry schedule: straight to dead
    const listed = await cli('deliveries', 'list', '--status', 'dead');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('3 deliveries');
    expect(listed.stdout).toContain('handler down');

    failing = false;
    const replayed = await cli('deliveries', 'replay', '--status', 'dead');
    expect(replayed.stdout).toBe('Queued 3 deliveries for replay\n');
    await server.inboxWorker.runOnce();
    const processed = await cli('deliveries', 'list', '--status', 'processed', '--json');
    expect(processed.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('replay needs an id or a filter', async () => {
    const run = await cli('deliveries', 'replay');
    expect(run.code).toBe(2);
    const missing = await cli('deliveries', 'replay', 'dlv_nope');
    expect(missing.code).toBe(1);
  });
});
