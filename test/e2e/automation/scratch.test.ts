import { it } from 'vitest';
import { openStore } from '../../../src/storage/open-store.js';
import { startAutomationHarness } from '../../support/automation-e2e.js';
import * as p from '../../support/automation-payloads.js';
import { postGithub } from '../../support/webhooks.js';

it('timing', async () => {
  let t = performance.now();
  const lap = (l: string) => { const n = performance.now(); console.log(l, Math.round(n - t)); t = n; };
  const store = await openStore('sqlite::memory:'); lap('open');
  const h = await startAutomationHarness(store); lap('start+import');
  for (let i = 0; i < 3; i++) {
    const a = await postGithub(h.server.url, 'create', p.githubCreateBranch('int-003-x')); lap('post');
    await h.drain(); lap('drain');
    await h.api('GET', `/deliveries/${a.body.delivery}`); lap('get');
  }
  await h.close(); lap('close');
});
