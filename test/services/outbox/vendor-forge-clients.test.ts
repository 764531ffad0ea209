// Linkback and the storyflow/story status on Gitea/Forgejo, Bitbucket Cloud and Azure DevOps,
// end to end: each forge's own webhook payload (test/fixtures/<provider>) normalized by its
// adapter and applied by the automation engine queues the comment and the status in its
// transaction; the sender delivers them to a fake of that forge which checks every request
// against the forge's own API description and refuses anything else (none may be refused).
import { afterEach, expect, it } from 'vitest';
import type { ForgeConfig } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { NormalizedEvent } from '../../../src/domain/events/normalized-event.js';
import { normalizeAzureDevopsEvent } from '../../../src/providers/azure-devops/azure-devops-events.js';
import { normalizeBitbucketEvent } from '../../../src/providers/bitbucket/bitbucket-events.js';
import { normalizeGiteaEvent } from '../../../src/providers/gitea/gitea-events.js';
import { AutomationEngine } from '../../../src/services/automation/automation-engine.js';
import { AutomationSettings } from '../../../src/services/automation/automation-settings.js';
import { ForgeFeedback } from '../../../src/services/outbox/forge-feedback.js';
import { OutboxSender } from '../../../src/services/outbox/outbox-sender.js';
import { OutboxService } from '../../../src/services/outbox/outbox-service.js';
import { randomIds } from '../../../src/services/random-ids.js';
import { StoryService } from '../../../src/services/story-service.js';
import { azureDevopsFixture } from '../../support/azure-devops-webhooks.js';
import {
  type FakeForge,
  fakeForgeConfig,
  startFakeAzureDevops,
  startFakeBitbucket,
  startFakeGitea,
} from '../../support/fake-forges.js';
import { acmeForge, type FakeGithub, startFakeGithub } from '../../support/fake-github.js';
import { fixtureStories } from '../../support/fixture-stories.js';
import { giteaFixture } from '../../support/gitea-webhooks.js';
import { http } from '../../support/http.js';
import { startTestServer, type TestServer } from '../../support/start-test-server.js';
import { describeEachStore } from '../../support/store-factories.js';
import { bitbucketFixture } from '../../support/webhooks.js';

interface ForgeCase {
  provider: string;
  start(token: string): Promise<FakeForge>;
  /** The owner (organization, workspace, project) of the fixture's repository. */
  owner: string;
  repository: string;
  number: number;
  /** Where the status lands: the PR's head commit, or (Azure DevOps) the pull request. */
  statusOn: string;
  /** The fixture's pull-request-opened delivery, its title replaced by `title`. */
  opened(title: string): { event: string; payload: unknown };
  /** The request paths of a created and of an edited comment. */
  created: RegExp;
  edited: RegExp;
  failure: string;
  /** What a failing status's context reads on this forge. */
  context: string;
  /** What else the forge's status must carry. */
  statusExtras?: Record<string, unknown>;
}

const CASES: ForgeCase[] = [
  {
    provider: 'gitea',
    start: startFakeGitea,
    owner: 'gitea',
    repository: 'gitea/webhooks',
    number: 2,
    statusOn: 'bffeb74224043ba2feb48d137756c8a9331c449a',
    opened(title) {
      const payload = giteaFixture('pull_request');
      payload.pull_request.title = title;
      return { event: 'pull_request', payload };
    },
    created: /^POST \/api\/v1\/repos\/gitea\/webhooks\/issues\/2\/comments$/,
    edited: /^PATCH \/api\/v1\/repos\/gitea\/webhooks\/issues\/comments\/\d+$/,
    failure: 'failure',
    context: 'storyflow/story',
  },
  {
    provider: 'bitbucket',
    start: startFakeBitbucket,
    owner: 'amuniz',
    repository: 'amuniz/test-repos',
    number: 735,
    statusOn: 'd31df3425c5b',
    opened(title) {
      const payload = bitbucketFixture('cloud-pullrequest-created');
      payload.pullrequest.title = title;
      return { event: 'pullrequest:created', payload };
    },
    created: /^POST \/2\.0\/repositories\/amuniz\/test-repos\/pullrequests\/735\/comments$/,
    edited: /^PUT \/2\.0\/repositories\/amuniz\/test-repos\/pullrequests\/735\/comments\/\d+$/,
    failure: 'FAILED',
    context: 'storyflow/story',
    // Bitbucket requires a URL (storyflow has none of its own here: the commit's page) and ties
    // the status to the pull request by its source branch.
    statusExtras: {
      url: expect.stringMatching(/\/amuniz\/test-repos\/commits\/d31df3425c5b$/),
      refname: 'feature/test',
    },
  },
  {
    provider: 'azure-devops',
    start: startFakeAzureDevops,
    owner: 'Fabrikam',
    repository: 'Fabrikam/Fabrikam',
    number: 1,
    statusOn: 'PR 1',
    opened(title) {
      const payload = azureDevopsFixture('git.pullrequest.created') as any;
      payload.resource.title = title;
      return { event: 'git.pullrequest.created', payload };
    },
    created:
      /^POST \/fabrikam\/Fabrikam\/_apis\/git\/repositories\/Fabrikam\/pullRequests\/1\/threads$/,
    edited:
      /^PATCH \/fabrikam\/Fabrikam\/_apis\/git\/repositories\/Fabrikam\/pullRequests\/1\/threads\/\d+\/comments\/1$/,
    failure: 'failed',
    context: 'storyflow/story',
  },
];

const NORMALIZERS: Record<
  string,
  (event: string, payload: unknown) => ReturnType<typeof normalizeGiteaEvent>
> = {
  gitea: normalizeGiteaEvent,
  bitbucket: normalizeBitbucketEvent,
  'azure-devops': normalizeAzureDevopsEvent,
};

for (const forgeCase of CASES) {
  describeEachStore(`forge feedback on ${forgeCase.provider}`, (open) => {
    let server: TestServer;
    let fake: FakeForge;
    let now: number;
    let deliver: (delivery: { event: string; payload: unknown }) => Promise<void>;
    let move: (id: string, to: string) => Promise<void>;
    let sender: OutboxSender;
    let outbox: OutboxService;

    let github: FakeGithub | undefined;

    async function start(
      overrides: Partial<ForgeConfig> = {},
      before: ForgeConfig[] = [],
    ): Promise<void> {
      const store = await open();
      server = await startTestServer(store);
      await http(server.url, 'POST', '/api/v1/stories/import', {
        token: server.token,
        json: { documents: fixtureStories().map((story) => story.text) },
      });
      fake = await forgeCase.start(`${forgeCase.provider}-token-0123`);
      const forge = fakeForgeConfig(fake, forgeCase.owner, overrides);
      const config = {
        ...loadConfig({ env: {}, cwd: '/nonexistent' }),
        forges: [...before, forge],
      };
      now = Date.UTC(2026, 11, 3, 12, 0, 0);
      const clock = { now: () => new Date(now) };
      outbox = new OutboxService(store, config, clock, randomIds);
      const feedback = new ForgeFeedback(outbox);
      // Wired as services/compose-services.ts wires them: status changes refresh the comments.
      const stories = new StoryService(store, config.workflow, clock, (tx, ids) =>
        feedback.afterStatusChangeIn(tx, ids),
      );
      const engine = new AutomationEngine(
        stories,
        new AutomationSettings(config),
        clock,
        randomIds,
        feedback,
      );
      const context = {
        deliveryId: null,
        eventIndex: null,
        actor: { type: 'system' as const, id: null, name: null },
        requestId: null,
      };
      deliver = async ({ event, payload }) => {
        const result = NORMALIZERS[forgeCase.provider]?.(event, payload);
        if (result?.status !== 'events')
          throw new Error(`not normalized: ${JSON.stringify(result)}`);
        for (const normalized of result.events) {
          expect(normalized.repository).toBe(forgeCase.repository);
          await store.transaction((tx) => engine.apply(tx, normalized as NormalizedEvent, context));
        }
      };
      move = async (id, to) => {
        await stories.transition(id, to, undefined, context);
      };
      sender = new OutboxSender(store, config, clock, { random: () => 0.5 });
    }

    afterEach(async () => {
      expect(fake.malformed).toEqual([]);
      expect(github?.malformed ?? []).toEqual([]);
      await github?.close();
      github = undefined;
      await fake.close();
      await server.close();
    });

    it('PR opened naming a story → one comment listing it and a success status; the story moves → the same comment edited, not a second', async () => {
      await start();
      await deliver(forgeCase.opened('INT-003: CI endpoints'));
      expect(await sender.runOnce()).toBe(2);
      expect(fake.comments.size).toBe(1);
      const [comment] = [...fake.comments.values()];
      expect(comment).toMatchObject({ repository: forgeCase.repository, number: forgeCase.number });
      expect(comment?.body).toContain('| INT-003 |');
      expect(comment?.body).toContain('| in\\_review |');
      expect(fake.statuses).toEqual([
        expect.objectContaining({
          repository: forgeCase.repository,
          on: forgeCase.statusOn,
          context: forgeCase.context,
          description: 'serves INT-003',
          ...forgeCase.statusExtras,
        }),
      ]);

      await move('INT-003', 'done');
      expect(await sender.runOnce()).toBe(1);
      expect(fake.comments.size).toBe(1);
      expect([...fake.comments.values()][0]?.body).toContain('| done |');
      const commentCalls = fake.requests.filter((request) => !/status/.test(request));
      expect(commentCalls).toEqual([
        expect.stringMatching(forgeCase.created),
        expect.stringMatching(forgeCase.edited),
      ]);
    });

    it('a GitHub entry for an owner of the same name is never picked for this forge’s events', async () => {
      github = await startFakeGithub('ghp_other_forge');
      await start({}, [
        acmeForge(github.url, 'ghp_other_forge', {
          owner: forgeCase.owner,
          id: `github:${forgeCase.owner}`,
        }),
      ]);
      await deliver(forgeCase.opened('INT-003: CI endpoints'));
      expect(await sender.runOnce()).toBe(2);
      expect(fake.comments.size).toBe(1);
      expect(fake.statuses).toHaveLength(1);
      expect(github.requests).toEqual([]);
    });

    it('requireStory and a PR naming none → a failing storyflow/story status saying how to reference one, and no comment', async () => {
      await start({ requireStory: true });
      await deliver(forgeCase.opened('A change'));
      expect(await sender.runOnce()).toBe(1);
      expect(fake.statuses).toEqual([
        expect.objectContaining({
          on: forgeCase.statusOn,
          state: forgeCase.failure,
          context: forgeCase.context,
          description: expect.stringMatching(/^no story referenced: name a story/),
        }),
      ]);
      expect(fake.comments.size).toBe(0);
    });

    it('429 with Retry-After: waits what the forge asked without using up an attempt, then sends once', async () => {
      await start();
      fake.script.push(
        { status: 429, headers: { 'retry-after': '120' } },
        { status: 429, headers: { 'retry-after': '120' } },
      );
      await deliver(forgeCase.opened('INT-003: CI endpoints'));
      await sender.runOnce();
      const waiting = await outbox.list({ limit: 10 });
      expect(waiting).toHaveLength(2);
      for (const item of waiting) {
        expect(item).toMatchObject({ status: 'pending', attempts: 0 });
        expect(item.lastError).toContain('429');
        expect(Date.parse(item.nextAttemptAt ?? '') - now).toBe(120_000);
      }
      now += 119_000;
      expect(await sender.runOnce()).toBe(0);
      now += 1000;
      expect(await sender.runOnce()).toBe(2);
      expect((await outbox.list({ limit: 10 })).map((item) => item.status)).toEqual([
        'sent',
        'sent',
      ]);
      expect(fake.comments.size).toBe(1);
      expect(fake.statuses).toHaveLength(1);
    });

    it('a 5xx is retried and another 4xx is dead at once', async () => {
      await start();
      fake.script.push(
        { status: 503 },
        { status: 403, body: { message: 'token lacks the scope' } },
      );
      await deliver(forgeCase.opened('INT-003: CI endpoints'));
      await sender.runOnce();
      const items = await outbox.list({ limit: 10 });
      expect(items.map((item) => item.status).sort()).toEqual(['dead', 'pending']);
      expect(items.find((item) => item.status === 'pending')?.lastError).toContain('503');
      expect(items.find((item) => item.status === 'dead')?.lastError).toContain('403');
    });
  });
}
