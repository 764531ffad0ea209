// Rules and operations through the API: manual rollback (conflicts, force, rolling back twice),
// rules managed with PUT /rules, the default rules turned off, and simulation.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { DEFAULT_RULES } from '../../src/domain/rules/default-rules.js';
import {
  type AutomationHarness,
  snapshot,
  startAutomationHarness,
} from '../support/automation-e2e.js';
import { githubPullRequest } from '../support/automation-payloads.js';
import { describeEachStore } from '../support/store-factories.js';

const REVIEW_RULE = {
  name: 'API changes need a review',
  on: 'pr.opened',
  if: { repository: 'acme/*', labels: ['api'] },
  then: [{ addLabel: 'needs-review' }],
};

/** A pr.opened event (normalized) for `branch` in `repository`, closing `story`. */
function prOpened(repository: string, branch: string, story: string, number = 7) {
  return {
    kind: 'pr.opened',
    repository,
    branch,
    pr: {
      number,
      title: `Work on ${story}`,
      body: `Closes ${story}`,
      source: branch,
      target: 'main',
      url: `https://github.com/${repository}/pull/${number}`,
      draft: false,
    },
  };
}

describeEachStore('rules, rollback and simulation through the API', (open) => {
  let harness: AutomationHarness;
  const start = async (config: Partial<Config> = {}) => {
    harness = await startAutomationHarness(await open(), { config });
    const created = await harness.api('POST', '/stories', {
      json: { id: 'API-002', title: 'Rate limit headers', status: 'ready', labels: ['api'] },
    });
    expect(created.status).toBe(201);
  };
  const report = async (event: Record<string, unknown>) => {
    const answer = await harness.api('POST', '/ci/events', { json: event });
    expect(answer.status, answer.text).toBe(200);
    return answer.body.operations as any[];
  };
  afterEach(async () => {
    await harness.close();
  });

  describe('with the default rules', () => {
    beforeEach(async () => {
      await start();
    });

    it('a manual rollback lists each conflict, is forced with ?force=true, and is undone itself', async () => {
      expect((await harness.api('PUT', '/rules', { json: { rules: [REVIEW_RULE] } })).status).toBe(
        200,
      );
      const [operation] = await report(prOpened('acme/shop', 'api-002-rate-limits', 'API-002'));
      expect(operation.changes).toEqual([
        { story: 'API-002', field: 'status', before: 'ready', after: 'in_review' },
        { story: 'API-002', field: 'labels', before: ['api'], after: ['api', 'needs-review'] },
      ]);

      // People change both fields since.
      expect(
        (await harness.api('POST', '/stories/API-002/transitions', { json: { to: 'in_progress' } }))
          .status,
      ).toBe(200);
      const patched = await harness.api('PATCH', '/stories/API-002', {
        json: { labels: ['api', 'needs-review', 'urgent'] },
      });
      expect(patched.status).toBe(200);
      const edited = await harness.story('API-002');

      const refused = await harness.api('POST', `/operations/${operation.id}/rollback`);
      expect(refused.status).toBe(409);
      expect(refused.body.type).toBe('urn:storyflow:problem:conflict');
      expect(refused.body.conflicts).toEqual(
        expect.arrayContaining([
          { story: 'API-002', field: 'status', expected: 'in_review', actual: 'in_progress' },
          {
            story: 'API-002',
            field: 'labels',
            expected: ['api', 'needs-review'],
            actual: ['api', 'needs-review', 'urgent'],
          },
        ]),
      );
      expect(refused.body.conflicts).toHaveLength(2);
      expect(await harness.story('API-002')).toEqual(edited);
      expect((await harness.api('GET', `/operations/${operation.id}`)).body.status).toBe('applied');

      const forced = await harness.api('POST', `/operations/${operation.id}/rollback?force=true`);
      expect(forced.status).toBe(200);
      expect(forced.body).toMatchObject({
        status: 'applied',
        trigger: { kind: 'rollback', operation: operation.id },
        changes: expect.arrayContaining([
          { story: 'API-002', field: 'status', before: 'in_progress', after: 'ready' },
          {
            story: 'API-002',
            field: 'labels',
            before: ['api', 'needs-review', 'urgent'],
            after: ['api'],
          },
        ]),
      });
      expect(await harness.story('API-002')).toMatchObject({ status: 'ready', labels: ['api'] });
      expect((await harness.api('GET', `/operations/${operation.id}`)).body).toMatchObject({
        status: 'rolled_back',
        rolledBackBy: forced.body.id,
      });
      const history = await harness.history('API-002');
      expect(history.at(-1)).toMatchObject({
        action: 'story.rolled_back',
        operationId: forced.body.id,
      });

      // The same operation cannot be rolled back twice.
      const twice = await harness.api('POST', `/operations/${operation.id}/rollback?force=true`);
      expect(twice.status).toBe(409);
      expect(twice.body.rolledBackBy).toBe(forced.body.id);

      // A rollback is an operation like any other: rolling it back restores what people had set.
      const redo = await harness.api('POST', `/operations/${forced.body.id}/rollback`);
      expect(redo.status).toBe(200);
      expect(redo.body.trigger).toMatchObject({ kind: 'rollback', operation: forced.body.id });
      expect(await harness.story('API-002')).toMatchObject({
        status: 'in_progress',
        labels: ['api', 'needs-review', 'urgent'],
      });
      expect((await harness.api('GET', `/operations/${forced.body.id}`)).body.status).toBe(
        'rolled_back',
      );

      expect((await harness.api('POST', '/operations/op_unknown/rollback')).status).toBe(404);
    });

    it('PUT /rules adds a custom rule after the defaults; a bad rule is a 400 naming it', async () => {
      const empty = await harness.api('GET', '/rules');
      expect(empty.body).toMatchObject({ rules: [], version: 0 });
      expect(empty.body.effective.map((rule: { name: string }) => rule.name)).toEqual(
        DEFAULT_RULES.map((rule) => rule.name),
      );

      const put = await harness.api('PUT', '/rules', { json: { rules: [REVIEW_RULE] } });
      expect(put.status).toBe(200);
      expect(put.headers.get('etag')).toBe('"1"');
      expect(put.body).toEqual({ rules: [{ ...REVIEW_RULE, on: ['pr.opened'] }], version: 1 });
      const rules = await harness.api('GET', '/rules');
      expect(rules.body.version).toBe(1);
      expect(rules.body.effective.map((rule: { name: string }) => rule.name)).toEqual([
        ...DEFAULT_RULES.map((rule) => rule.name),
        REVIEW_RULE.name,
      ]);

      const stale = await harness.api('PUT', '/rules', {
        json: { rules: [] },
        headers: { 'if-match': '"0"' },
      });
      expect(stale.status).toBe(412);

      // In acme/*, for a story labelled api: the label is added, with the rule named.
      const [operation] = await report(prOpened('acme/shop', 'api-002-rate-limits', 'API-002'));
      expect(operation.trigger.rule).toContain(REVIEW_RULE.name);
      expect(operation.steps).toContainEqual(
        expect.objectContaining({
          story: 'API-002',
          rule: REVIEW_RULE.name,
          action: 'add label needs-review',
          because: expect.stringContaining('Closes API-002'),
        }),
      );
      expect((await harness.story('API-002')).labels).toEqual(['api', 'needs-review']);
      // Not for a story without the label, nor outside acme/*.
      await report(prOpened('acme/shop', 'int-003-cicd-integration-endpoints', 'INT-003', 8));
      expect((await harness.story('INT-003')).labels).not.toContain('needs-review');
      await harness.api('POST', '/stories', {
        json: { id: 'API-003', title: 'Pagination', status: 'ready', labels: ['api'] },
      });
      await report(prOpened('other/shop', 'api-003-pagination', 'API-003', 9));
      expect(await harness.story('API-003')).toMatchObject({
        status: 'in_review',
        labels: ['api'],
      });

      for (const [bad, field, message] of [
        [
          { ...REVIEW_RULE, name: 'ship it', then: [{ transition: 'shipped' }] },
          'rules[0].then[0].transition',
          'not a status',
        ],
        [{ ...REVIEW_RULE, name: 'typo', on: 'pr.openned' }, 'rules[0].on', 'pr.openned'],
        [{ ...REVIEW_RULE, name: 'colour', if: { colour: 'red' } }, 'rules[0].if.colour', ''],
        [
          { ...REVIEW_RULE, name: 'status', then: [{ set: { status: 'done' } }] },
          'rules[0].then[0].set',
          'transition',
        ],
      ] as const) {
        const refused = await harness.api('PUT', '/rules', { json: { rules: [bad] } });
        expect(refused.status, JSON.stringify(bad)).toBe(400);
        const error = refused.body.errors.find((candidate: { field: string }) =>
          candidate.field.startsWith(field),
        );
        expect(error, JSON.stringify(refused.body)).toMatchObject({ rule: bad.name });
        expect(error.message).toContain(message);
        expect(refused.body.detail).toContain(`${error.field} (rule "${bad.name}")`);
      }
      const duplicate = await harness.api('PUT', '/rules', {
        json: { rules: [REVIEW_RULE, REVIEW_RULE] },
      });
      expect(duplicate.status).toBe(400);
      expect(duplicate.body.errors[0]).toMatchObject({
        field: 'rules[1].name',
        rule: REVIEW_RULE.name,
      });
      expect((await harness.api('GET', '/rules')).body.version).toBe(1);
    });

    it('POST /rules/simulate answers what would happen and changes nothing', async () => {
      const before = await snapshot(harness);
      const linksBefore = await harness.links('INT-003');
      const auditBefore = (await harness.api('GET', '/audit?limit=500')).body.items.length;

      const github = await harness.api('POST', '/rules/simulate', {
        json: {
          provider: 'github',
          event: 'pull_request',
          payload: githubPullRequest('opened', {
            number: 7,
            head: 'int-003-cicd-integration-endpoints',
            body: 'Closes INT-003',
          }),
        },
      });
      expect(github.status).toBe(200);
      expect(github.body.events[0]).toMatchObject({ kind: 'pr.opened', provider: 'github' });
      expect(github.body.operations).toHaveLength(1);
      expect(github.body.operations[0]).toMatchObject({
        id: null,
        status: 'simulated',
        trigger: { kind: 'pr.opened', rule: 'default: pull request opened or ready → in_review' },
        changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_review' }],
      });

      const normalized = await harness.api('POST', '/rules/simulate', {
        json: {
          events: [
            {
              kind: 'branch.created',
              repository: 'acme/shop',
              branch: 'int-004-slack-notifications',
            },
            {
              ...prOpened('acme/shop', 'feature/dark-mode', 'UI-010'),
              pr: {
                ...prOpened('acme/shop', 'feature/dark-mode', 'UI-010').pr,
                body: '---\nid: UI-010\ntitle: Dark mode\n---\n\n# UI-010: Dark mode\n',
              },
            },
            {
              kind: 'pipeline.failed',
              repository: 'acme/shop',
              branch: 'int-003-cicd-integration-endpoints',
              pipeline: { id: '1', status: 'failed' },
            },
          ],
        },
      });
      expect(normalized.status).toBe(200);
      expect(
        normalized.body.operations.map((operation: any) => [
          operation.status,
          operation.changes.map((change: any) => `${change.story}.${change.field}`),
        ]),
      ).toEqual([
        ['simulated', ['INT-004.status']],
        ['simulated', ['UI-010.(story)', 'UI-010.status']],
        ['simulated', ['INT-003.labels']],
      ]);

      const ping = await harness.api('POST', '/rules/simulate', {
        json: { provider: 'github', event: 'ping', payload: { zen: 'Keep it simple.' } },
      });
      expect(ping.body).toMatchObject({ operations: [], events: [], ignored: 'ping' });
      const bad = await harness.api('POST', '/rules/simulate', {
        json: { events: [{ kind: 'pr.exploded', repository: 'acme/shop' }] },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toMatch(/^events\.0/);

      expect(await snapshot(harness)).toEqual(before);
      expect((await harness.api('GET', '/stories/UI-010')).status).toBe(404);
      expect(await harness.links('INT-003')).toEqual(linksBefore);
      expect((await harness.api('GET', '/audit?limit=500')).body.items).toHaveLength(auditBefore);
    });
  });

  describe('with automation.defaultRules: false', () => {
    beforeEach(async () => {
      const defaults = loadConfig({ env: {}, cwd: '/nonexistent' });
      await start({ automation: { ...defaults.automation, defaultRules: false } });
    });

    it('only the configured rules apply', async () => {
      expect((await harness.api('GET', '/rules')).body.effective).toEqual([]);
      const before = await snapshot(harness);
      await report({
        kind: 'branch.created',
        repository: 'acme/shop',
        branch: 'int-003-cicd-integration-endpoints',
      });
      await report(prOpened('acme/shop', 'api-002-rate-limits', 'API-002'));
      await report({
        kind: 'pipeline.failed',
        repository: 'acme/shop',
        branch: 'int-003-cicd-integration-endpoints',
        pipeline: { id: '1', status: 'failed' },
      });
      expect(await snapshot(harness)).toEqual(before);

      await harness.api('PUT', '/rules', { json: { rules: [REVIEW_RULE] } });
      const [operation] = await report(prOpened('acme/shop', 'api-002-rate-limits', 'API-002', 8));
      expect(operation.changes).toEqual([
        { story: 'API-002', field: 'labels', before: ['api'], after: ['api', 'needs-review'] },
      ]);
      expect((await harness.story('API-002')).status).toBe('ready');
    });
  });
});
