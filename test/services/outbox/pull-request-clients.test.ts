// The `pull-request` outbox kind in each forge's client, against the fake forges that hold every
// request to the forge's own API description: the open pull request is looked for before one is
// made (Gitea's list has no head filter: the pages are looked through); one of other branches, or
// a closed or merged one of the same branches, is not storyflow's open one; a rate limit or a
// refusal of the look creates nothing.
import { afterEach, expect, it } from 'vitest';
import type { PullRequestPayload } from '../../../src/services/outbox/forge-client.js';
import { sendToGitea } from '../../../src/services/outbox/gitea-client.js';
import { sendToGithub } from '../../../src/services/outbox/github-client.js';
import { sendToGitlab } from '../../../src/services/outbox/gitlab-client.js';
import { type FakeForge, fakeForgeConfig, startFakeGitea } from '../../support/fake-forges.js';
import { acmeForge, type FakeGithub, startFakeGithub } from '../../support/fake-github.js';
import { type FakeGitlab, gitlabForge, startFakeGitlab } from '../../support/fake-gitlab.js';

const TOKEN = 'forge-token-0123456789';
const payload: PullRequestPayload = {
  repository: 'acme/shop',
  head: 'storyflow/updates',
  base: 'main',
  title: 'storyflow: INT-3: ready → done',
  body: '<!-- storyflow:updates -->\nINT-3\n',
};
const fakes: { close(): Promise<void>; malformed: string[] }[] = [];
afterEach(async () => {
  for (const fake of fakes.splice(0)) {
    expect(fake.malformed).toEqual([]);
    await fake.close();
  }
});

it('gitea: storyflow’s open pull request on the second page of open ones is edited, not opened again', async () => {
  const fake: FakeForge = await startFakeGitea(TOKEN);
  fakes.push(fake);
  for (let n = 0; n < 60; n += 1)
    fake.pulls.create({
      repository: 'acme/shop',
      head: `feature/${n}`,
      base: 'main',
      title: `${n}`,
      body: '',
    });
  const ours = fake.pulls.create({ ...payload, title: 'old', body: 'old' });
  const result = await sendToGitea(fakeForgeConfig(fake, 'acme'), 'pull-request', payload, null);
  expect(result).toEqual({
    kind: 'sent',
    remoteId: '61',
    remoteUrl: 'https://gitea.example.com/acme/shop/pulls/61',
  });
  expect(ours).toMatchObject({ title: payload.title, body: payload.body });
  expect(fake.pulls.all).toHaveLength(61);
  expect(fake.requests).toEqual([
    'GET /api/v1/repos/acme/shop/pulls',
    'GET /api/v1/repos/acme/shop/pulls',
    'PATCH /api/v1/repos/acme/shop/pulls/61',
  ]);
});

it('gitlab: a merged merge request of the same branches is not the open one: a new one is made', async () => {
  const fake: FakeGitlab = await startFakeGitlab(TOKEN);
  fakes.push(fake);
  const merged = fake.mergeRequests.create({ ...payload });
  if (typeof merged === 'string') throw new Error(merged);
  fake.mergeRequests.finish(merged.number, 'merged');
  const result = await sendToGitlab(gitlabForge(fake.url, TOKEN), 'pull-request', payload, '1');
  expect(result).toEqual({
    kind: 'sent',
    remoteId: '2',
    remoteUrl: 'https://gitlab.example.com/acme/shop/-/merge_requests/2',
  });
  expect(fake.mergeRequests.all.map((request) => request.state)).toEqual(['merged', 'open']);
  expect(fake.mergeRequests.all[1]).toMatchObject({ title: payload.title, body: payload.body });
});

it('github: a rate-limited look creates nothing and is waited out; a refused one is refused', async () => {
  const fake: FakeGithub = await startFakeGithub(TOKEN);
  fakes.push(fake);
  const forge = acmeForge(fake.url, TOKEN);
  fake.script.push({ status: 429, headers: { 'retry-after': '30' } });
  const limited = await sendToGithub(forge, 'pull-request', payload, null);
  expect(limited).toMatchObject({ kind: 'limited', hints: { retryAfter: '30' } });
  fake.script.push({ status: 404, body: { message: 'Not Found' } });
  const refused = await sendToGithub(forge, 'pull-request', payload, null);
  expect(refused).toMatchObject({ kind: 'refused' });
  expect(fake.pulls.all).toHaveLength(0);
  // Then it answers: opened once, with the branches the payload names.
  const sent = await sendToGithub(forge, 'pull-request', payload, null);
  expect(sent).toEqual({
    kind: 'sent',
    remoteId: '1',
    remoteUrl: 'https://github.com/acme/shop/pull/1',
  });
  expect(fake.pulls.all).toEqual([
    expect.objectContaining({ head: 'storyflow/updates', base: 'main', state: 'open' }),
  ]);
  expect(fake.requests.map((request) => request.path)).toContain(
    '/repos/acme/shop/pulls?state=open&head=acme%3Astoryflow%2Fupdates&base=main&per_page=100',
  );
});
