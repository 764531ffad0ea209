// Linkback and the storyflow/story status, end to end through the outbox: a PR event applied by
// the automation engine queues the comment and the commit status in its own transaction, and the
// sender delivers them to a local fake GitHub that checks each request's shape.
import { afterEach, expect, it } from 'vitest';
import type { ForgeConfig } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { NormalizedEvent } from '../../src/domain/events/normalized-event.js';
import {
  DEFAULT_LINKBACK_TEMPLATE,
  linkbackBody,
} from '../../src/domain/outbox/linkback-comment.js';
import { AutomationEngine } from '../../src/services/automation/automation-engine.js';
import { AutomationSettings } from '../../src/services/automation/automation-settings.js';
import { ForgeFeedback } from '../../src/services/outbox/forge-feedback.js';
import { OutboxSender } from '../../src/services/outbox/outbox-sender.js';
import { OutboxService } from '../../src/services/outbox/outbox-service.js';
import { randomIds } from '../../src/services/random-ids.js';
import { StoryService } from '../../src/services/story-service.js';
import { acmeForge, type FakeGithub, startFakeGithub } from '../support/fake-github.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

const TOKEN = 'ghp_feedback_token';
const HEAD = '1'.repeat(40);
const HEAD2 = '2'.repeat(40);

describeEachStore('forge feedback (linkback and storyflow/story)', (open) => {
  let server: TestServer;
  let github: FakeGithub;
  let apply: (event: Partial<NormalizedEvent> & Pick<NormalizedEvent, 'kind'>) => Promise<void>;
  let send: () => Promise<number>;

  async function start(requireStory: boolean): Promise<void> {
    const store = await open();
    server = await startTestServer(store);
    await http(server.url, 'POST', '/api/v1/stories/import', {
      token: server.token,
      json: { documents: fixtureStories().map((story) => story.text) },
    });
    github = await startFakeGithub(TOKEN);
    const forge: ForgeConfig = acmeForge(github.url, TOKEN, { requireStory });
    const config = { ...loadConfig({ env: {}, cwd: '/nonexistent' }), forges: [forge] };
    const clock = { now: () => new Date() };
    const outbox = new OutboxService(store, config, clock, randomIds);
    const feedback = new ForgeFeedback(outbox);
    // Wired as services/compose-services.ts wires them: status changes refresh the comments.
    const engine = new AutomationEngine(
      new StoryService(store, config.workflow, clock, (tx, ids) =>
        feedback.afterStatusChangeIn(tx, ids),
      ),
      new AutomationSettings(config),
      clock,
      randomIds,
      feedback,
    );
    apply = async (event) => {
      await store.transaction((tx) =>
        engine.apply(
          tx,
          { provider: 'github', repository: 'acme/shop', ...event } as NormalizedEvent,
          {
            deliveryId: null,
            eventIndex: null,
            actor: { type: 'system', id: null, name: null },
            requestId: null,
          },
        ),
      );
    };
    const sender = new OutboxSender(store, config, clock);
    send = () => sender.runOnce();
  }
  const pr = (title: string, body: string, source = 'feature-x') => ({
    number: 7,
    title,
    body,
    source,
    target: 'main',
    url: 'https://github.com/acme/shop/pull/7',
    draft: false,
  });
  afterEach(async () => {
    expect(github.malformed).toEqual([]);
    await github.close();
    await server.close();
  });

  it('PR opened → one comment with the story and its new status, and a success status naming it; the story moves → the same comment edited', async () => {
    await start(false);
    await apply({
      kind: 'pr.opened',
      sha: HEAD,
      branch: 'feature-x',
      pr: pr('INT-003: endpoints', 'Closes INT-003'),
    });
    expect(await send()).toBe(2);
    expect(github.statuses).toEqual([
      {
        repository: 'acme/shop',
        sha: HEAD,
        state: 'success',
        context: 'storyflow/story',
        description: 'serves INT-003',
      },
    ]);
    const [comment] = [...github.comments.values()];
    expect(comment?.issue).toBe(7);
    expect(comment?.body).toContain('| INT-003 |');
    expect(comment?.body).toContain('| in\\_review |');

    await apply({
      kind: 'pr.merged',
      sha: HEAD2,
      branch: 'feature-x',
      pr: pr('INT-003: endpoints', 'Closes INT-003'),
    });
    expect(await send()).toBe(1);
    expect(github.comments.size).toBe(1);
    expect([...github.comments.values()][0]?.body).toContain('| done |');
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `POST /repos/acme/shop/statuses/${HEAD}`,
      'POST /repos/acme/shop/issues/7/comments',
      expect.stringMatching(/^PATCH \/repos\/acme\/shop\/issues\/comments\/\d+$/),
    ]);
  });

  it('a commit carrying a new version of a story’s document changes its status → the open PR’s comment is edited, not a second one', async () => {
    await start(false);
    await apply({
      kind: 'pr.opened',
      sha: HEAD,
      branch: 'feature-x',
      pr: pr('INT-003: endpoints', 'Closes INT-003'),
    });
    await send();
    expect(github.comments.size).toBe(1);
    await apply({
      kind: 'push',
      branch: 'docs-only',
      sha: HEAD2,
      commits: [
        {
          sha: HEAD2,
          author: 'someone',
          message:
            'Park the story\n\n---\nid: INT-003\ntitle: CI/CD integration endpoints\nstatus: blocked\n---\nWaiting on the API.\n',
        },
      ],
    });
    expect(await send()).toBe(1);
    expect(github.comments.size).toBe(1);
    expect([...github.comments.values()][0]?.body).toContain('| blocked |');
    expect(github.requests.map((request) => request.method)).toEqual(['POST', 'POST', 'PATCH']);
  });

  it('requireStory: no story → failure saying how to reference one; description edited to name one → success', async () => {
    await start(true);
    await apply({ kind: 'pr.opened', sha: HEAD, branch: 'feature-x', pr: pr('A change', '') });
    await send();
    expect(github.statuses.at(-1)).toMatchObject({
      sha: HEAD,
      state: 'failure',
      description: expect.stringMatching(/^no story referenced: name a story/),
    });
    expect(github.comments.size).toBe(0);
    await apply({
      kind: 'pr.updated',
      sha: HEAD,
      branch: 'feature-x',
      pr: pr('A change', 'For INT-004'),
    });
    await send();
    expect(github.statuses.at(-1)).toMatchObject({
      sha: HEAD,
      state: 'success',
      description: 'serves INT-004',
    });
    expect(github.statuses).toHaveLength(2);
  });

  it('without requireStory a PR naming no story gets a success status and no comment', async () => {
    await start(false);
    await apply({ kind: 'pr.opened', sha: HEAD, branch: 'feature-x', pr: pr('A change', '') });
    await send();
    expect(github.statuses).toMatchObject([
      { state: 'success', description: 'no story referenced (not required)' },
    ]);
    expect(github.comments.size).toBe(0);
  });

  it('a repository no forge entry covers gets nothing', async () => {
    await start(true);
    await apply({
      kind: 'pr.opened',
      repository: 'other/repo',
      sha: HEAD,
      branch: 'x',
      pr: pr('INT-003', ''),
    });
    expect(await send()).toBe(0);
  });
});

it('a story title cannot mention people, break the table or inject HTML in the comment', () => {
  const body = linkbackBody(
    DEFAULT_LINKBACK_TEMPLATE,
    [{ id: 'INT-003', title: '@everyone | <img src=x> **bold**\nnext', status: 'done', url: null }],
    { repository: 'acme/shop', number: 7 },
  );
  expect(body).not.toContain('@everyone');
  expect(body).not.toContain('<img');
  expect(body.split('\n').filter((line) => line.startsWith('| INT-003'))).toEqual([
    '| INT-003 | @\u200beveryone \\| &lt;img src=x&gt; \\*\\*bold\\*\\* next | done |',
  ]);
});
