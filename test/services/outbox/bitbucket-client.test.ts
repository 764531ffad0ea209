// What the Bitbucket Cloud client sends that the fake forge cannot show: the build status's
// required URL, when storyflow has none of its own, is the commit's page on bitbucket.org.
import { expect, it } from 'vitest';
import { sendToBitbucket } from '../../../src/services/outbox/bitbucket-client.js';
import type { FetchLike } from '../../../src/services/outbox/forge-client.js';
import { fakeForgeConfig } from '../../support/fake-forges.js';

it('a status without a target URL links to the commit on bitbucket.org', async () => {
  const sent: { url: string; body: any }[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    sent.push({ url, body: JSON.parse(String(init.body)) });
    return new Response('{}', { status: 201 });
  }) as unknown as FetchLike;
  const forge = fakeForgeConfig(
    { provider: 'bitbucket', apiUrl: 'https://api.bitbucket.org/2.0', token: 't' } as never,
    'acme',
  );
  const result = await sendToBitbucket(
    forge,
    'status',
    {
      repository: 'acme/shop',
      sha: 'd31df3425c5b',
      state: 'success',
      context: 'storyflow/story',
      description: 'serves INT-003',
    },
    null,
    fetchImpl,
  );
  expect(result).toEqual({ kind: 'sent', remoteId: null });
  expect(sent).toEqual([
    {
      url: 'https://api.bitbucket.org/2.0/repositories/acme/shop/commit/d31df3425c5b/statuses/build',
      body: {
        key: 'storyflow-story',
        name: 'storyflow/story',
        state: 'SUCCESSFUL',
        description: 'serves INT-003',
        url: 'https://bitbucket.org/acme/shop/commits/d31df3425c5b',
      },
    },
  ]);
});
