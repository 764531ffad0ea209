// The GitHub calls of the reconciliation, over GitHub's published example answers
// (test/fixtures/github-hook-deliveries/): what is read from them, which requests are made, how
// pages end, and what a refusal says.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import {
  GithubHookDeliveries,
  nextCursor,
} from '../../../src/services/reconcile/github-hook-deliveries.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/github-hook-deliveries/${name}`, import.meta.url), 'utf8');

type StubAnswer =
  | { status: number; body: string; link?: string; retryAfter?: string }
  | { networkError: string };

function stub(answers: StubAnswer[]) {
  const sleeps: number[] = [];
  const requests: { url: string; method: string; headers: Record<string, string> }[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    requests.push({
      url,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
    });
    const answer = answers.shift() ?? { status: 500, body: '{}' };
    if ('networkError' in answer)
      throw new TypeError('fetch failed', { cause: { code: answer.networkError } });
    return new Response(answer.body, {
      status: answer.status,
      headers: {
        ...(answer.link === undefined ? {} : { link: answer.link }),
        ...(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }),
      },
    });
  }) as typeof fetch;
  return {
    requests,
    sleeps,
    client: new GithubHookDeliveries(
      { apiUrl: 'https://ghe.example/api/v3', token: 'tkn' },
      fetchImpl,
      undefined,
      {
        random: () => 0.5,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
    ),
  };
}

it('reads GitHub’s example hooks and deliveries', async () => {
  const { client, requests } = stub([
    { status: 200, body: fixture('hooks.json') },
    { status: 200, body: fixture('deliveries.json') },
  ]);
  expect(await client.listHooks('octocat/Hello-World')).toEqual([
    { id: 12345678, url: 'https://example.com/webhook', active: true },
  ]);
  const deliveries = await client.listDeliveries(
    'octocat/Hello-World',
    12345678,
    new Date('2019-06-01T00:00:00Z'),
  );
  expect(deliveries).toEqual([
    {
      id: 12345678,
      guid: '0b989ba4-242f-11e5-81e1-c7b6966d2516',
      deliveredAt: '2019-06-03T00:57:16Z',
      status: 'OK',
      statusCode: 200,
      event: 'issues',
      redelivery: false,
    },
    expect.objectContaining({ id: 123456789, redelivery: true }),
  ]);
  expect(requests.map((request) => `${request.method} ${request.url}`)).toEqual([
    'GET https://ghe.example/api/v3/repos/octocat/Hello-World/hooks?per_page=100',
    'GET https://ghe.example/api/v3/repos/octocat/Hello-World/hooks/12345678/deliveries?per_page=100',
  ]);
  expect(requests[0]?.headers).toMatchObject({
    accept: 'application/vnd.github+json',
    authorization: 'Bearer tkn',
    'x-github-api-version': '2022-11-28',
  });
});

it('follows the next cursor until there is none, or a page reaches past `since`', async () => {
  const next =
    '<https://ghe.example/api/v3/repositories/456/hooks/1/deliveries?per_page=100&cursor=v1_abc>; rel="next"';
  const paged = stub([
    { status: 200, body: fixture('deliveries.json'), link: next },
    { status: 200, body: fixture('deliveries.json') },
  ]);
  const all = await paged.client.listDeliveries(
    'octocat/Hello-World',
    1,
    new Date('2019-06-01T00:00:00Z'),
  );
  expect(all).toHaveLength(4);
  expect(paged.requests).toHaveLength(2);
  expect(new URL(paged.requests[1]!.url).searchParams.get('cursor')).toBe('v1_abc');
  // The June 3 attempt is before `since`: the walk ends with this page, next link or not.
  const cut = stub([{ status: 200, body: fixture('deliveries.json'), link: next }]);
  const recent = await cut.client.listDeliveries(
    'octocat/Hello-World',
    1,
    new Date('2019-06-04T00:00:00Z'),
  );
  expect(recent.map((delivery) => delivery.id)).toEqual([123456789]);
  expect(cut.requests).toHaveLength(1);
});

it('a refusal names the call and GitHub’s message; a redelivery is a POST with no body', async () => {
  const { client, requests } = stub([
    { status: 404, body: '{"message":"Not Found"}' },
    { status: 202, body: '{}' },
  ]);
  await expect(client.listHooks('acme/shop')).rejects.toThrow(
    'GET /repos/acme/shop/hooks: 404 Not Found',
  );
  await client.redeliver('acme/shop', 42, 7);
  expect(requests[1]).toMatchObject({
    method: 'POST',
    url: 'https://ghe.example/api/v3/repos/acme/shop/hooks/42/deliveries/7/attempts',
  });
});

it('a 5xx, a 429 or no answer is tried again with backoff, after what Retry-After asks', async () => {
  const { client, requests, sleeps } = stub([
    { networkError: 'ECONNRESET' },
    { status: 503, body: '{"message":"Service Unavailable"}', retryAfter: '7' },
    { status: 502, body: '{}' },
    { status: 200, body: fixture('hooks.json') },
  ]);
  expect(await client.listHooks('octocat/Hello-World')).toHaveLength(1);
  expect(requests).toHaveLength(4);
  // 1 s, then the 7 s GitHub asked, then 4 s (base 1 s doubling; jitter at its middle).
  expect(sleeps).toEqual([1000, 7000, 4000]);
  const limited = stub([
    { status: 429, body: '{"message":"slow down"}', retryAfter: '2' },
    { status: 202, body: '{}' },
  ]);
  await limited.client.redeliver('acme/shop', 42, 7);
  expect(limited.requests.map((request) => request.method)).toEqual(['POST', 'POST']);
  expect(limited.sleeps).toEqual([2000]);
});

it('a call failing every time becomes an error after 4 attempts; a 4xx or a Retry-After past 30 s at once', async () => {
  const down = stub([]);
  await expect(down.client.listHooks('acme/shop')).rejects.toThrow(
    'GET /repos/acme/shop/hooks: 500 (after 4 attempts)',
  );
  expect(down.requests).toHaveLength(4);
  expect(down.sleeps).toEqual([1000, 2000, 4000]);
  const refused = stub([{ status: 403, body: '{"message":"Resource not accessible"}' }]);
  await expect(refused.client.listHooks('acme/shop')).rejects.toThrow(
    'GET /repos/acme/shop/hooks: 403 Resource not accessible',
  );
  expect(refused.requests).toHaveLength(1);
  const later = stub([{ status: 503, body: '{}', retryAfter: '3600' }]);
  await expect(later.client.listHooks('acme/shop')).rejects.toThrow(
    /^GET \/repos\/acme\/shop\/hooks: 503$/,
  );
  expect(later.sleeps).toEqual([]);
});

it.each([
  [null, null],
  [
    '<https://api.github.com/x?cursor=a1&per_page=2>; rel="next", <https://api.github.com/x?cursor=z>; rel="prev"',
    'a1',
  ],
  ['<https://api.github.com/x?cursor=z>; rel="prev"', null],
])('nextCursor(%j) is %j', (link, cursor) => {
  expect(nextCursor(link)).toBe(cursor);
});
