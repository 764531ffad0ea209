// docs/automation.md cannot drift from what storyflow does: every code block in it is one of
// the files under docs/examples/automation/, copied verbatim, and each file is run here (or in
// automation-jenkins.test.ts) with the outcome the page states.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { DEFAULT_RULES } from '../../src/domain/rules/default-rules.js';
import {
  type AutomationHarness,
  snapshot,
  startAutomationHarness,
} from '../support/automation-e2e.js';
import {
  AUTOMATION_DOC,
  exampleJson,
  exampleNames,
  exampleText,
  matchesExample,
  runExampleScript,
} from '../support/docs-examples.js';
import { TEST_ADMIN_TOKEN } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

const doc = () => readFileSync(AUTOMATION_DOC, 'utf8');

/** The contents of the fenced code blocks of a markdown text. */
function codeBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```[^\n`]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (const match of markdown.matchAll(fence)) blocks.push(match[1] ?? '');
  return blocks;
}

describe('docs/automation.md', () => {
  it('shows every example file verbatim, and nothing else in code blocks', () => {
    const text = doc();
    const blocks = codeBlocks(text);
    const names = exampleNames();
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      expect(blocks, `${name} is not shown verbatim in docs/automation.md`).toContain(
        exampleText(name),
      );
    }
    const contents = names.map(exampleText);
    for (const block of blocks) {
      expect(contents, `a code block is not an example file:\n${block}`).toContain(block);
    }
  });

  it('names every default rule', () => {
    const text = doc();
    for (const rule of DEFAULT_RULES) expect(text).toContain(`\`${rule.name}\``);
  });

  it('every example file is run by an end-to-end test', () => {
    const tests = ['automation-docs.test.ts', 'automation-jenkins.test.ts']
      .map((file) => readFileSync(new URL(file, import.meta.url), 'utf8'))
      .join('\n');
    const run = exampleNames().filter((name) => tests.includes(`'${name}'`));
    // A body a script posts with `-d @file.json` runs with the script.
    const posted = run.flatMap((name) =>
      [...exampleText(name).matchAll(/-d @([\w.-]+)/g)].map((match) => match[1]),
    );
    for (const name of exampleNames()) {
      expect([...run, ...posted], `no test runs docs/examples/automation/${name}`).toContain(name);
    }
  });
});

describeEachStore('the examples of docs/automation.md', (open) => {
  let harness: AutomationHarness;
  const env = () => ({ STORYFLOW_URL: harness.server.url, STORYFLOW_TOKEN: harness.server.token });
  const script = async (name: string, extra: Record<string, string> = {}) => {
    const result = await runExampleScript(name, [], { ...env(), ...extra });
    expect(result.code, result.stderr).toBe(0);
    expect(result.json, result.stdout).toBeDefined();
    return result.json;
  };
  const report = async (event: unknown) => {
    const answer = await harness.api('POST', '/ci/events', { json: event });
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  };
  const push = (branch: string, commitSha: string, message: string) =>
    report({
      kind: 'push',
      repository: 'acme/shop',
      branch,
      sha: commitSha,
      commits: [{ sha: commitSha, message, author: 'Dev' }],
    });
  afterEach(async () => {
    const current = harness;
    harness = undefined as unknown as AutomationHarness;
    await current?.close();
  });

  describe('with the default configuration', () => {
    beforeEach(async () => {
      harness = await startAutomationHarness(await open());
    });

    it('rules-put.json via put-rules-curl.sh sets the rule; rules-bad.json is refused as shown', async () => {
      const put = await script('put-rules-curl.sh');
      expect(put).toEqual({
        rules: exampleJson('rules-put.json').rules.map((rule: { on: string }) => ({
          ...rule,
          on: [rule.on],
        })),
        version: 1,
      });
      const refused = await script('put-bad-rules-curl.sh');
      expect(matchesExample(refused, exampleJson('rules-bad-response.json'))).toEqual([]);
      expect((await harness.api('GET', '/rules')).body.version).toBe(1);

      // The rule at work: a PR in acme/shop naming API-001 (labelled api).
      await report(prOpened('api-001-story-workflow-rest-api', 'Closes API-001'));
      expect((await harness.story('API-001')).labels).toEqual(['api', 'core', 'needs-review']);
    });

    it('pipeline-failed.json answers the operation shown; the rollback scripts undo it', async () => {
      const answer = await script('pipeline-failed-curl.sh');
      expect(matchesExample(answer, exampleJson('pipeline-failed-answer.json'))).toEqual([]);
      expect(answer.operations[0].trigger.delivery).toBe(answer.delivery);
      const operation = answer.operations[0].id;

      const listed = await script('operations-curl.sh', { STORY: 'INT-003' });
      expect(listed.items.map((item: { id: string }) => item.id)).toEqual([operation]);

      const labels = (await harness.story('INT-003')).labels;
      await harness.api('PATCH', '/stories/INT-003', { json: { labels: [...labels, 'flaky'] } });
      const conflict = await script('rollback-curl.sh', { OPERATION: operation });
      expect(matchesExample(conflict, exampleJson('rollback-conflict.json'))).toEqual([]);
      expect((await harness.story('INT-003')).labels).toContain('flaky');

      const forced = await script('rollback-force-curl.sh', { OPERATION: operation });
      expect(forced).toMatchObject({
        status: 'applied',
        trigger: { kind: 'rollback', operation },
      });
      expect((await harness.story('INT-003')).labels).toEqual([
        'integration',
        'cicd',
        'automation',
        'webhooks',
      ]);
      expect((await harness.api('GET', `/operations/${operation}`)).body).toMatchObject({
        status: 'rolled_back',
        rolledBackBy: forced.id,
      });
      const again = await script('rollback-curl.sh', { OPERATION: operation });
      expect(again).toMatchObject({ status: 409, detail: expect.stringContaining('already') });
    });

    it('deployment-late-succeeded.json, then the older deployment-late-failed.json is skipped as deployment-late-answer.json shows', async () => {
      const succeeded = await report(exampleJson('deployment-late-succeeded.json'));
      expect(succeeded.operations[0].changes).toEqual([
        { story: 'INT-004', field: 'status', before: 'ready', after: 'done' },
      ]);
      const late = await report(exampleJson('deployment-late-failed.json'));
      expect(matchesExample(late, exampleJson('deployment-late-answer.json'))).toEqual([]);
      expect(late.operations[0].steps[0].skipped).toBe(
        `older than deployment.succeeded (2025-03-04T10:20:00.000Z) already applied from delivery ${succeeded.delivery}`,
      );
      expect((await harness.story('INT-004')).status).toBe('done');
    });

    it('deployment-succeeded.json then deployment-failed.json; deployment.json links', async () => {
      const succeeded = await report(exampleJson('deployment-succeeded.json'));
      expect(succeeded.operations[0].changes).toEqual([
        { story: 'INT-004', field: 'status', before: 'ready', after: 'done' },
      ]);
      const failed = await report(exampleJson('deployment-failed.json'));
      expect(failed.operations[0].steps).toContainEqual(
        expect.objectContaining({
          rule: 'automatic rollback',
          action: `roll back ${succeeded.operations[0].id}`,
          because: 'deployment.failed in production',
        }),
      );
      expect((await harness.story('INT-004')).status).toBe('ready');

      // INT-003's PR is merged into main (the simulated PR of simulate-request.json, merged).
      const [pr] = exampleJson('simulate-request.json').events;
      const merged = await report({
        ...pr,
        kind: 'pr.merged',
        sha: exampleJson('deployment.json').sha,
      });
      expect(merged.operations[0].changes[0]).toMatchObject({ story: 'INT-003', after: 'done' });
      const deployed = await script('deployment-curl.sh');
      expect(deployed).toMatchObject({ status: 'processed', operations: [] });
      expect(
        (await harness.links('INT-003')).find((link) => link.type === 'deployment'),
      ).toMatchObject({ key: 'production', state: 'succeeded', url: 'https://shop.example.com' });
    });

    it('commit messages and PR descriptions do what the page says', async () => {
      // commit-closing.txt closes INF-015; commit-revert.txt undoes that.
      const closing = '3f786850e387550fdab836ed7e6dc881de23001b';
      expect(exampleText('commit-revert.txt')).toContain(closing);
      await push('main', closing, exampleText('commit-closing.txt'));
      expect((await harness.story('INF-015')).status).toBe('done');
      const reverted = await push(
        'main',
        'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
        exampleText('commit-revert.txt'),
      );
      expect(reverted.operations[0].steps[0]).toMatchObject({ rule: 'automatic rollback' });
      expect((await harness.story('INF-015')).status).toBe('in_review');

      // commit-new-story.txt creates STORY-001, once.
      const newStory = exampleText('commit-new-story.txt');
      const commit = '1b6453892473a467d07372d45eb05abc2031647a';
      await push('feature/csv-export', commit, newStory);
      expect(await harness.story('STORY-001')).toMatchObject({
        title: 'Export the board as CSV',
        branch_name: 'feature/csv-export',
      });
      await push('main', commit, newStory);
      expect((await harness.api('GET', '/stories/STORY-002')).status).toBe(404);

      // commit-smart-commands.txt moves INT-004 and comments.
      const smart = await push(
        'main',
        'ac3478d69a3c81fa62e60f5c3696165a4e5e6ac4',
        exampleText('commit-smart-commands.txt'),
      );
      expect(smart.operations[0].changes).toEqual([
        { story: 'INT-004', field: 'status', before: 'ready', after: 'in_progress' },
      ]);
      expect(await harness.history('INT-004')).toContainEqual(
        expect.objectContaining({
          action: 'story.commented',
          after: { comment: 'Started on the Slack client' },
        }),
      );

      // pr-description-story.md creates UI-010, in review and linked to the PR.
      const described = prOpened('feature/dark-mode', exampleText('pr-description-story.md'));
      described.pr.number = 31;
      await report(described);
      expect(await harness.story('UI-010')).toMatchObject({
        title: 'Dark mode for the board',
        status: 'in_review',
        labels: ['ui'],
      });
      expect((await harness.links('UI-010')).find((link) => link.type === 'pr')).toMatchObject({
        key: '31',
      });
    });

    it('simulate-request.json via simulate-curl.sh answers the operation and changes nothing', async () => {
      const before = await snapshot(harness);
      const audit = (await harness.api('GET', '/audit?limit=500')).body.items.length;
      const answer = await script('simulate-curl.sh');
      expect(answer.operations).toHaveLength(1);
      expect(answer.operations[0]).toMatchObject({
        id: null,
        status: 'simulated',
        changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_review' }],
      });
      expect(answer.operations[0].steps[0].because).toContain('Closes INT-003');
      expect(await snapshot(harness)).toEqual(before);
      expect((await harness.api('GET', '/audit?limit=500')).body.items).toHaveLength(audit);
    });
  });

  describe('with rules.yaml as storyflow.config.yaml', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'storyflow-docs-'));
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('labels API PRs in acme/* and stories deployed to staging', async () => {
      writeFileSync(join(dir, 'storyflow.config.yaml'), exampleText('rules.yaml'));
      const config = loadConfig({ env: { STORYFLOW_ADMIN_TOKEN: TEST_ADMIN_TOKEN }, cwd: dir });
      expect(config.automation.rules.map((rule) => rule.name)).toEqual([
        'API changes need a review',
        'on staging',
      ]);
      harness = await startAutomationHarness(await open(), {
        config: { automation: config.automation },
      });
      await report(prOpened('api-001-story-workflow-rest-api', 'Closes API-001'));
      expect((await harness.story('API-001')).labels).toEqual(['api', 'core', 'needs-review']);

      const staging = await report({
        kind: 'deployment.succeeded',
        repository: 'acme/shop',
        environment: 'staging',
        sha: 'c1dfd96eea8cc2b62785275bca38ac261256e278',
        stories: ['INT-004'],
      });
      expect(staging.operations[0].comments).toEqual([
        { story: 'INT-004', text: 'Deployed to staging', rule: 'on staging' },
      ]);
      expect(await harness.story('INT-004')).toMatchObject({
        status: 'ready',
        labels: ['integration', 'notifications', 'on-staging'],
      });
    });

    it('a bad rule in the config file stops storyflow, naming the rule and the key', () => {
      writeFileSync(
        join(dir, 'storyflow.config.yaml'),
        stringify({ automation: { rules: exampleJson('rules-bad.json').rules } }),
      );
      expect(() => loadConfig({ env: {}, cwd: dir })).toThrow(
        /automation\.rules\[0\]\.then\[0\]\.transition.*ship it/s,
      );
    });
  });
});

/** A pr.opened event in acme/shop from `branch` into main, with `body`. */
function prOpened(branch: string, body: string) {
  return {
    kind: 'pr.opened',
    repository: 'acme/shop',
    branch,
    pr: {
      number: 30,
      title: 'Change',
      body,
      source: branch,
      target: 'main',
      url: 'https://github.com/acme/shop/pull/30',
      draft: false,
    },
  };
}
