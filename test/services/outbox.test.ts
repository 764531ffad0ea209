// The outbox of calls to forges: queued in the caller's transaction, one row per target updated
// in place, sent by the sender to a local fake GitHub that checks each request's shape, with
// backoff that honours Retry-After and the rate-limit reset; a forge that is down gets
// everything once it is back, once.
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ForgeConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/domain/clock.js';
import { LINKBACK_MARKER } from '../../src/domain/outbox/linkback-comment.js';
import { OutboxSender } from '../../src/services/outbox/outbox-sender.js';
import { OutboxService } from '../../src/services/outbox/outbox-service.js';
import { randomIds } from '../../src/services/random-ids.js';
import type { Store } from '../../src/storage/store.js';
import { acmeForge, type FakeGithub, startFakeGithub } from '../support/fake-github.js';
import { describeEachStore } from '../support/store-factories.js';

const TOKEN = 'ghp_test_token_0123456789';
const SHA = 'a'.repeat(40);

describeEachStore('outbox', (open) => {
  let store: Store;
  let github: FakeGithub;
  let now: number;
  let outbox: OutboxService;
  let sender: OutboxSender;
  const clock: Clock = { now: () => new Date(now) };
  const later = (seconds: number) => {
    now += seconds * 1000;
  };
  const comment = (body: string, number = 12) =>
    store.transaction((tx) =>
      outbox.enqueueIn(tx, {
        repository: 'acme/shop',
        kind: 'comment',
        target: `acme/shop#${number}`,
        payload: { repository: 'acme/shop', number, body },
      }),
    );
  const status = (sha: string) =>
    store.transaction((tx) =>
      outbox.enqueueIn(tx, {
        repository: 'acme/shop',
        kind: 'status',
        target: `acme/shop@${sha}`,
        payload: {
          repository: 'acme/shop',
          sha,
          state: 'success',
          context: 'storyflow/story',
          description: 'serves INT-003',
        },
      }),
    );
  const calls = (fake: FakeGithub = github) =>
    fake.requests.map((request) => `${request.method} ${request.path}`);
  let circuitLog: string[] = [];
  const senderWith = (overrides: Partial<ForgeConfig>) =>
    new OutboxSender(store, { forges: [acmeForge(github.url, TOKEN, overrides)] }, clock, {
      random: () => 0.5,
      onCircuit: (forge, state, until) => circuitLog.push(`${forge} ${state} ${until}`),
    });
  const dueIn = (item: { nextAttemptAt: string } | undefined) =>
    Date.parse(item?.nextAttemptAt ?? '') - now;
  const only = async () => {
    const [item, ...rest] = await outbox.list({ limit: 10 });
    expect(rest).toEqual([]);
    return item;
  };

  beforeEach(async () => {
    store = await open();
    github = await startFakeGithub(TOKEN);
    now = Date.UTC(2026, 11, 3, 12, 0, 0);
    const config = { forges: [acmeForge(github.url, TOKEN)] };
    outbox = new OutboxService(store, config, clock, randomIds);
    sender = new OutboxSender(store, config, clock, { random: () => 0.5 });
  });
  afterEach(async () => {
    expect(github.malformed).toEqual([]);
    await github.close();
    await store.close();
  });

  it('creates the comment once, then a newer decision edits the same comment in place', async () => {
    const id = await comment('INT-003 is in_review');
    expect(await sender.runOnce()).toBe(1);
    expect(await sender.runOnce()).toBe(0);
    const first = await only();
    expect(first).toMatchObject({ id, status: 'sent', attempts: 1, forge: 'github:acme' });
    expect(await comment('INT-003 is done')).toBe(id);
    expect(await sender.runOnce()).toBe(1);
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /repos/acme/shop/issues/12/comments',
      'PATCH /repos/acme/shop/issues/comments/1000',
    ]);
    expect([...github.comments.values()]).toEqual([
      { repository: 'acme/shop', issue: 12, body: 'INT-003 is done' },
    ]);
    expect(await only()).toMatchObject({ id, status: 'sent' });
  });

  it('posts a commit status to /statuses/{sha}', async () => {
    await store.transaction((tx) =>
      outbox.enqueueIn(tx, {
        repository: 'acme/shop',
        kind: 'status',
        target: `acme/shop@${SHA}`,
        payload: {
          repository: 'acme/shop',
          sha: SHA,
          state: 'failure',
          context: 'storyflow/story',
          description: 'no story referenced',
        },
      }),
    );
    await sender.runOnce();
    expect(github.statuses).toEqual([
      {
        repository: 'acme/shop',
        sha: SHA,
        state: 'failure',
        context: 'storyflow/story',
        description: 'no story referenced',
      },
    ]);
  });

  it('a repository no forge covers queues nothing', async () => {
    const id = await store.transaction((tx) =>
      outbox.enqueueIn(tx, {
        repository: 'other/repo',
        kind: 'comment',
        target: 'other/repo#1',
        payload: { repository: 'other/repo', number: 1, body: 'x' },
      }),
    );
    expect(id).toBeUndefined();
    expect(await outbox.list({ limit: 10 })).toEqual([]);
  });

  it('a rolled-back decision queues nothing: the row is written in the caller’s transaction', async () => {
    await expect(
      store.transaction(async (tx) => {
        await outbox.enqueueIn(tx, {
          repository: 'acme/shop',
          kind: 'comment',
          target: 'acme/shop#12',
          payload: { repository: 'acme/shop', number: 12, body: 'x' },
        });
        throw new Error('the decision failed');
      }),
    ).rejects.toThrow('the decision failed');
    expect(await outbox.list({ limit: 10 })).toEqual([]);
  });

  it('429 with Retry-After: waits what GitHub asked without using up an attempt, then sends once', async () => {
    github.script.push({ status: 429, headers: { 'retry-after': '120' } });
    await comment('hello');
    await sender.runOnce();
    const waiting = await only();
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
    expect(waiting?.lastError).toContain('429');
    expect(Date.parse(waiting?.nextAttemptAt ?? '') - now).toBe(120_000);
    later(119);
    expect(await sender.runOnce()).toBe(0);
    later(1);
    expect(await sender.runOnce()).toBe(1);
    expect(await only()).toMatchObject({ status: 'sent', attempts: 1 });
    expect(github.comments.size).toBe(1);
  });

  it('403 with x-ratelimit-remaining 0: waits until x-ratelimit-reset', async () => {
    const reset = Math.floor(now / 1000) + 600;
    github.script.push({
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: { message: 'API rate limit exceeded' },
    });
    await comment('hello');
    await sender.runOnce();
    const waiting = await only();
    expect(waiting?.status).toBe('pending');
    expect(Date.parse(waiting?.nextAttemptAt ?? '')).toBeGreaterThanOrEqual(reset * 1000);
  });

  it('a secondary rate limit (403 with only GitHub’s message): waits a minute, then two, without using up attempts; then sends once', async () => {
    const secondary = {
      status: 403,
      body: {
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
    };
    github.script.push(secondary, secondary);
    await comment('hello');
    await sender.runOnce();
    let waiting = await only();
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
    expect(waiting?.lastError).toContain('403 You have exceeded a secondary rate limit');
    expect(dueIn(waiting)).toBe(60_000);
    later(60);
    expect(await sender.runOnce()).toBe(1);
    waiting = await only();
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });
    expect(dueIn(waiting)).toBe(120_000);
    later(119);
    expect(await sender.runOnce()).toBe(0);
    later(1);
    expect(await sender.runOnce()).toBe(1);
    expect(await only()).toMatchObject({ status: 'sent', attempts: 1 });
    expect(github.requests).toHaveLength(3);
    expect(github.comments.size).toBe(1);
  });

  it('a rate limit pauses every call to that forge until it is over; then each goes out once', async () => {
    sender = senderWith({ concurrency: 1 });
    github.script.push({ status: 429, headers: { 'retry-after': '30' } });
    for (const number of [1, 2, 3]) await comment(`story ${number}`, number);
    expect(await sender.runOnce()).toBe(3);
    expect(github.requests).toHaveLength(1); // the other two were not tried against the limit
    for (const item of await outbox.list({ limit: 10 })) {
      expect(item).toMatchObject({ status: 'pending', attempts: 0 });
      expect(dueIn(item)).toBe(30_000);
    }
    later(29);
    expect(await sender.runOnce()).toBe(0);
    later(1);
    expect(await sender.runOnce()).toBe(3);
    expect(github.requests).toHaveLength(4);
    expect(github.comments.size).toBe(3);
    for (const item of await outbox.list({ limit: 10 }))
      expect(item).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('the circuit breaker opens after failures in a row, calls nothing during the cool-down, then one probe decides', async () => {
    circuitLog = [];
    const opened = new Date(now + 60_000).toISOString();
    sender = senderWith({ concurrency: 1, circuitBreaker: { failures: 3, coolDownMs: 60_000 } });
    for (let i = 0; i < 4; i++) github.script.push({ status: 502 });
    for (const number of [1, 2, 3, 4, 5]) await comment(`story ${number}`, number);
    expect(await sender.runOnce()).toBe(5);
    expect(github.requests).toHaveLength(3); // the third failure opened it: two never went
    expect(sender.circuitState('github:acme')).toBe('open');
    const rows = await outbox.list({ limit: 10 });
    expect(rows.map((item) => item.attempts).sort()).toEqual([0, 0, 1, 1, 1]);
    later(30); // the failed rows' 10 s backoff is over, the cool-down is not
    expect(await sender.runOnce()).toBe(0);
    expect(github.requests).toHaveLength(3);
    later(30);
    expect(sender.circuitState('github:acme')).toBe('half-open');
    expect(await sender.runOnce()).toBe(5);
    // One probe (a row whose create failed, so it first looks for its comment); it failed, so
    // open again.
    expect(github.requests).toHaveLength(4);
    expect(github.requests[3]?.method).toBe('GET');
    expect(sender.circuitState('github:acme')).toBe('open');
    later(60);
    expect(await sender.runOnce()).toBe(5);
    expect(sender.circuitState('github:acme')).toBe('closed');
    // The three whose create failed look for their comment (GET) before posting it: 3 × 2 + 2.
    expect(github.requests).toHaveLength(12);
    expect([...github.comments.values()].map((c) => c.issue).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const item of await outbox.list({ limit: 10 })) expect(item.status).toBe('sent');
    expect(await sender.runOnce()).toBe(0);
    expect(circuitLog).toEqual([
      `github:acme open ${opened}`,
      `github:acme open ${new Date(Date.parse(opened) + 60_000).toISOString()}`,
      'github:acme closed null',
    ]);
  });

  it('at most `concurrency` calls to a forge are in flight at once, and each goes out once', async () => {
    sender = senderWith({ concurrency: 2 });
    let inFlight = 0;
    let most = 0;
    github.onRequest = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 40));
      inFlight -= 1;
    };
    for (let number = 1; number <= 7; number++) await comment(`story ${number}`, number);
    expect(await sender.runOnce()).toBe(7);
    expect(most).toBe(2);
    expect(github.requests).toHaveLength(7);
    expect(github.comments.size).toBe(7);
  });

  it('a call starts only while its timeout fits in the lease: the others go back, due now, and go out next time', async () => {
    sender = new OutboxSender(
      store,
      { forges: [acmeForge(github.url, TOKEN, { concurrency: 1 })] },
      clock,
      {
        leaseMs: 40_000,
      },
    );
    // Each call takes 15 s: after the first, 25 s are left of the lease, less than a timeout.
    github.onRequest = () => later(15);
    for (const number of [1, 2, 3]) await comment(`story ${number}`, number);
    expect(await sender.runOnce()).toBe(3);
    expect(github.requests).toHaveLength(1);
    const back = (await outbox.list({ limit: 10 })).filter((item) => item.status === 'pending');
    expect(back).toHaveLength(2);
    for (const item of back) {
      expect(item.attempts).toBe(0);
      expect(dueIn(item)).toBeLessThanOrEqual(0);
    }
    // Claimed again at once (15 s into their first 40 s lease): the lease was given back.
    expect(await sender.runOnce()).toBe(2);
    expect(await sender.runOnce()).toBe(1);
    expect(github.comments.size).toBe(3);
    expect(github.requests).toHaveLength(3);
  });

  it('a forge down for a while: retried with backoff, then everything goes out once', async () => {
    await github.close();
    await comment('one', 1);
    await comment('two', 2);
    await sender.runOnce();
    for (const item of await outbox.list({ limit: 10 }))
      expect(item).toMatchObject({ status: 'pending', attempts: 1 });
    // Back (on another port here, so the forge entry is pointed at it).
    const back = await startFakeGithub(TOKEN);
    github = back;
    sender = new OutboxSender(store, { forges: [acmeForge(back.url, TOKEN)] }, clock, {
      random: () => 0.5,
    });
    later(5);
    expect(await sender.runOnce()).toBe(0); // the first retry is due after 10 s
    later(5);
    expect(await sender.runOnce()).toBe(2);
    expect(await sender.runOnce()).toBe(0);
    // Each create failed without an answer, so each first looks for its comment, then posts.
    expect(calls(back).sort()).toEqual([
      'GET /repos/acme/shop/issues/1/comments?per_page=100&page=1',
      'GET /repos/acme/shop/issues/2/comments?per_page=100&page=1',
      'POST /repos/acme/shop/issues/1/comments',
      'POST /repos/acme/shop/issues/2/comments',
    ]);
    expect((await outbox.list({ limit: 10 })).map((item) => item.status)).toEqual(['sent', 'sent']);
  });

  it('422 is dead at once with GitHub’s message; a retry sends it again', async () => {
    github.script.push({ status: 422, body: { message: 'Validation Failed' } });
    const id = await comment('hello');
    await sender.runOnce();
    expect(await only()).toMatchObject({ status: 'dead', attempts: 1 });
    expect((await only())?.lastError).toContain('422 Validation Failed');
    await outbox.retry(id as string);
    expect(await only()).toMatchObject({ status: 'pending', attempts: 0 });
    await sender.runOnce();
    expect(await only()).toMatchObject({ status: 'sent' });
    await expect(outbox.retry('out_missing')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('5xx every time: dead once the schedule is used up', async () => {
    for (let i = 0; i < 20; i++) github.script.push({ status: 502 });
    await comment('hello');
    for (let attempt = 0; attempt < 8; attempt++) {
      await sender.runOnce();
      later(3600 * 2);
    }
    expect(await only()).toMatchObject({ status: 'dead', attempts: 8 });
  });

  it('enqueued again while being sent: the newer text goes next, to the same comment', async () => {
    await comment('old');
    github.onRequest = async (request) => {
      if (request.method === 'POST') await comment('new');
    };
    await sender.runOnce();
    github.onRequest = undefined;
    expect(await only()).toMatchObject({ status: 'pending' });
    await sender.runOnce();
    expect(github.requests.map((request) => request.method)).toEqual(['POST', 'PATCH']);
    expect([...github.comments.values()].map((c) => c.body)).toEqual(['new']);
    expect(await only()).toMatchObject({ status: 'sent' });
  });

  it('the token goes only in the Authorization header and never into an error', async () => {
    github.script.push({ status: 500, body: { message: 'boom' } });
    await comment('hello');
    await sender.runOnce();
    expect(github.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.stringify(await outbox.list({ limit: 10 }))).not.toContain(TOKEN);
  });

  it('a sender killed after claiming: another takes the calls over once the lease runs out, and sends each once', async () => {
    await comment('one', 1);
    await comment('two', 2);
    // The first sender claims both and dies before sending (its process was killed).
    const claimed = await store.transaction((tx) =>
      tx.outbox.claimDue(new Date(now).toISOString(), new Date(now + 60_000).toISOString(), 10),
    );
    expect(claimed).toHaveLength(2);
    expect(await sender.runOnce()).toBe(0); // still leased
    later(61);
    expect(await sender.runOnce()).toBe(2);
    expect(await sender.runOnce()).toBe(0);
    expect(github.requests).toHaveLength(2);
    expect(github.comments.size).toBe(2);
  });

  it('a comment create whose answer was lost after GitHub made it: the retry finds it by its marker (past a page of other comments) and edits it; one comment on the PR', async () => {
    // 150 comments by people first: storyflow's lands on the second page of 100.
    for (let id = 1; id <= 150; id++)
      github.comments.set(id, { repository: 'acme/shop', issue: 12, body: `comment ${id}` });
    github.loseAnswers = 1;
    const id = await comment(`${LINKBACK_MARKER}\nINT-003 is in_review`);
    await sender.runOnce();
    expect(await store.outbox.get(id as string)).toMatchObject({
      status: 'pending',
      attempts: 1,
      remoteId: null,
      createInDoubt: true,
    });
    expect(github.comments.size).toBe(151); // GitHub made it; storyflow never heard
    later(10);
    await sender.runOnce();
    expect(calls()).toEqual([
      'POST /repos/acme/shop/issues/12/comments',
      'GET /repos/acme/shop/issues/12/comments?per_page=100&page=1',
      'GET /repos/acme/shop/issues/12/comments?per_page=100&page=2',
      'PATCH /repos/acme/shop/issues/comments/1000',
    ]);
    expect(await store.outbox.get(id as string)).toMatchObject({
      status: 'sent',
      remoteId: '1000',
      createInDoubt: false,
    });
    // A newer decision edits it again, without looking.
    await comment(`${LINKBACK_MARKER}\nINT-003 is done`);
    await sender.runOnce();
    expect(calls().at(-1)).toBe('PATCH /repos/acme/shop/issues/comments/1000');
    const ours = [...github.comments.values()].filter((c) => c.body.startsWith(LINKBACK_MARKER));
    expect(ours).toEqual([
      { repository: 'acme/shop', issue: 12, body: `${LINKBACK_MARKER}\nINT-003 is done` },
    ]);
  });

  it('a comment create in doubt that never reached GitHub: the retry looks, finds none, and creates it once', async () => {
    github.down = true;
    const id = (await comment(`${LINKBACK_MARKER}\nhello`)) as string;
    await sender.runOnce();
    expect(await store.outbox.get(id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      createInDoubt: true,
    });
    github.down = false;
    later(10);
    await sender.runOnce();
    expect(calls()).toEqual([
      'GET /repos/acme/shop/issues/12/comments?per_page=100&page=1',
      'POST /repos/acme/shop/issues/12/comments',
    ]);
    expect(github.comments.size).toBe(1);
    expect(await store.outbox.get(id)).toMatchObject({
      status: 'sent',
      remoteId: '1000',
      createInDoubt: false,
    });
  });

  it('a forge down for a minute (every connection cut), calls queued before and during it: the breaker opens, and once it is back everything goes out, once', async () => {
    circuitLog = [];
    sender = senderWith({});
    github.down = true;
    await comment(`${LINKBACK_MARKER}\none`, 1);
    await status(SHA);
    for (let second = 0; second < 60; second += 5) {
      if (second === 30) {
        await comment(`${LINKBACK_MARKER}\ntwo`, 2);
        await status('b'.repeat(40));
      }
      await sender.runOnce();
      later(5);
    }
    expect(circuitLog[0]).toMatch(/^github:acme open /);
    for (const item of await outbox.list({ limit: 10 })) expect(item.status).toBe('pending');
    github.down = false;
    for (let round = 0; round < 60; round++) {
      await sender.runOnce();
      later(10);
    }
    for (const item of await outbox.list({ limit: 10 })) expect(item.status).toBe('sent');
    expect(sender.circuitState('github:acme')).toBe('closed');
    const posts = calls().filter((call) => call.startsWith('POST'));
    expect(posts.sort()).toEqual([
      'POST /repos/acme/shop/issues/1/comments',
      'POST /repos/acme/shop/issues/2/comments',
      `POST /repos/acme/shop/statuses/${SHA}`,
      `POST /repos/acme/shop/statuses/${'b'.repeat(40)}`,
    ]);
    expect([...github.comments.values()].map((c) => c.issue).sort()).toEqual([1, 2]);
    expect(github.statuses).toHaveLength(2);
  });

  it('a slow forge does not hold up another: while one forge’s call hangs, the other’s calls, queued before and after, are sent', async () => {
    const other = await startFakeGithub(TOKEN);
    const config = {
      forges: [
        acmeForge(github.url, TOKEN),
        acmeForge(other.url, TOKEN, { id: 'github:beta', owner: 'beta' }),
      ],
    };
    outbox = new OutboxService(store, config, clock, randomIds);
    const betaStatus = (sha: string) =>
      store.transaction((tx) =>
        outbox.enqueueIn(tx, {
          repository: 'beta/app',
          kind: 'status',
          target: `beta/app@${sha}`,
          payload: {
            repository: 'beta/app',
            sha,
            state: 'success',
            context: 'storyflow/story',
            description: 'serves INT-003',
          },
        }),
      );
    let answer = () => {};
    const held = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let acmeCalls = 0;
    github.onRequest = () => {
      acmeCalls += 1;
      return held; // acme's GitHub takes the request and does not answer
    };
    const eventually = async (done: () => boolean) => {
      for (let waited = 0; waited < 3000 && !done(); waited += 10)
        await new Promise((resolve) => setTimeout(resolve, 10));
      return done();
    };
    sender = new OutboxSender(store, config, clock, { pollMs: 20, random: () => 0.5 });
    try {
      await status(SHA);
      await betaStatus('1'.repeat(40));
      sender.start();
      expect(await eventually(() => other.statuses.length === 1)).toBe(true);
      expect(await eventually(() => acmeCalls === 1)).toBe(true);
      await betaStatus('2'.repeat(40));
      sender.wake();
      expect(await eventually(() => other.statuses.length === 2)).toBe(true);
      expect(github.statuses).toEqual([]); // still hanging
    } finally {
      answer();
      await sender.stop();
      await other.close();
    }
    expect(github.statuses).toHaveLength(1);
    expect(other.malformed).toEqual([]);
  });
});
