import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { Rule } from '../../src/domain/rules/rule.js';
import { githubExample } from '../providers/github/github-examples.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';
import { describeEachStore } from '../support/store-factories.js';

const REPO = 'acme/shop';
const BRANCH = 'int-003-cicd-integration-endpoints';
const pr = (overrides: Record<string, unknown> = {}) => ({
  number: 7,
  title: 'CI endpoints',
  body: 'Closes INT-003',
  source: BRANCH,
  target: 'main',
  url: 'https://github.com/acme/shop/pull/7',
  draft: false,
  ...overrides,
});
const CONFIG_RULE: Rule = {
  name: 'config: label deployments',
  on: ['deployment.succeeded'],
  then: [{ addLabel: 'deployed' }],
};

describeEachStore('automation API', (open) => {
  let server: TestServer;
  const api = (method: string, path: string, options: Parameters<typeof http>[3] = {}) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });
  const send = async (event: Record<string, unknown>) => {
    const answer = await api('POST', '/ci/events', { json: { repository: REPO, ...event } });
    expect(answer.status).toBe(200);
    return answer.body as { delivery: string; operations: any[] };
  };
  const story = async (id: string) => (await api('GET', `/stories/${id}`)).body;

  beforeEach(async () => {
    const base = loadConfig({ env: {}, cwd: '/nonexistent' });
    // Strictly increasing times: operations are listed by creation time.
    let last = 0;
    const clock = {
      now: () => {
        last = Math.max(Date.now(), last + 1);
        return new Date(last);
      },
    };
    server = await startTestServer(await open(), {
      config: { automation: { ...base.automation, rules: [CONFIG_RULE] } },
      clock,
    });
    const imported = await api('POST', '/stories/import', {
      json: { documents: fixtureStories().map((fixture) => fixture.text) },
    });
    expect(imported.status).toBe(200);
  });
  afterEach(async () => {
    await server.close();
  });

  it('rollback: 409 listing each conflict, ?force=true overrides, and it is an operation', async () => {
    const { operations } = await send({ kind: 'branch.created', branch: BRANCH });
    const moved = operations[0];
    expect(moved.changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'draft', after: 'in_progress' },
    ]);
    await api('POST', '/stories/INT-003/transitions', { json: { to: 'in_review' } });

    const refused = await api('POST', `/operations/${moved.id}/rollback`);
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.body.conflicts).toEqual([
      { story: 'INT-003', field: 'status', expected: 'in_progress', actual: 'in_review' },
    ]);
    expect((await story('INT-003')).status).toBe('in_review');
    expect((await api('GET', `/operations/${moved.id}`)).body.status).toBe('applied');

    const forced = await api('POST', `/operations/${moved.id}/rollback?force=true`);
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({
      status: 'applied',
      trigger: { kind: 'rollback', operation: moved.id },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_review', after: 'draft' }],
    });
    expect(forced.body.id).toMatch(/^op_/);
    expect((await story('INT-003')).status).toBe('draft');
    expect((await api('GET', `/operations/${moved.id}`)).body).toMatchObject({
      status: 'rolled_back',
      rolledBackBy: forced.body.id,
    });

    const history = await api('GET', '/stories/INT-003/history');
    expect(history.body.items.at(-1)).toMatchObject({
      action: 'story.rolled_back',
      operationId: forced.body.id,
      before: { status: 'in_review' },
      after: { status: 'draft' },
    });

    const again = await api('POST', `/operations/${moved.id}/rollback?force=true`);
    expect(again.status).toBe(409);
    expect(again.body.rolledBackBy).toBe(forced.body.id);
    expect((await api('POST', '/operations/op_missing/rollback')).status).toBe(404);
    expect((await api('GET', '/operations/op_missing')).status).toBe(404);
  });

  it('a rollback without conflicts restores every field the operation changed', async () => {
    const failed = await send({
      kind: 'pipeline.failed',
      branch: BRANCH,
      pipeline: { id: '1', status: 'failed' },
    });
    expect((await story('INT-003')).labels).toContain('ci-failing');
    const rollback = await api('POST', `/operations/${failed.operations[0].id}/rollback`);
    expect(rollback.status).toBe(200);
    expect((await story('INT-003')).labels).toEqual([
      'integration',
      'cicd',
      'automation',
      'webhooks',
    ]);
    // It is listed under the story, newest first.
    const listed = await api('GET', '/operations?story=INT-003');
    expect(listed.body.items.map((op: any) => op.id)).toEqual([
      rollback.body.id,
      failed.operations[0].id,
    ]);
  });

  it('a field already back where it was needs nothing: the rollback still succeeds and is listed', async () => {
    const moved = (await send({ kind: 'branch.created', branch: BRANCH })).operations[0];
    await api('POST', '/stories/INT-003/transitions', { json: { to: 'ready' } });
    await api('POST', '/stories/INT-003/transitions', { json: { to: 'draft' } });
    const rollback = await api('POST', `/operations/${moved.id}/rollback`);
    expect(rollback.status).toBe(200);
    expect(rollback.body.changes).toEqual([]);
    const listed = await api('GET', '/operations?story=INT-003');
    expect(listed.body.items.map((op: any) => op.id)).toEqual([rollback.body.id, moved.id]);
  });

  it('of two rollbacks of one operation at once, one wins and the other is a 409', async () => {
    const failed = await send({
      kind: 'pipeline.failed',
      branch: BRANCH,
      pipeline: { id: '1', status: 'failed' },
    });
    const id = failed.operations[0].id;
    const answers = await Promise.all([
      api('POST', `/operations/${id}/rollback`),
      api('POST', `/operations/${id}/rollback`),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect((await story('INT-003')).labels).not.toContain('ci-failing');
    expect((await api('GET', '/operations?story=INT-003')).body.items).toHaveLength(2);
  });

  it('GET /operations filters by story and delivery, newest first, with cursors', async () => {
    const first = await send({ kind: 'branch.created', branch: BRANCH });
    const second = await send({ kind: 'pr.opened', branch: BRANCH, pr: pr() });
    const third = await send({ kind: 'branch.created', branch: 'int-004-slack-notifications' });
    const ids = [third, second, first].map((answer) => answer.operations[0].id);

    const all = await api('GET', '/operations');
    expect(all.body.items.map((op: any) => op.id)).toEqual(ids);
    expect(all.body.nextCursor).toBeNull();

    const int003 = await api('GET', '/operations?story=INT-003');
    expect(int003.body.items.map((op: any) => op.id)).toEqual(ids.slice(1));
    const byDelivery = await api('GET', `/operations?delivery=${second.delivery}`);
    expect(byDelivery.body.items).toHaveLength(1);
    expect(byDelivery.body.items[0]).toMatchObject({
      id: second.operations[0].id,
      trigger: { kind: 'pr.opened', delivery: second.delivery },
    });
    expect(byDelivery.body.items[0].trigger.rule).toMatch(/in_review/);
    expect((await api('GET', '/operations?delivery=dlv_none')).body.items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await api('GET', `/operations?limit=2${query}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((op: any) => op.id));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(2);
    expect(seen).toEqual(ids);

    const bad = await api('GET', '/operations?cursor=nonsense');
    expect(bad.status).toBe(400);
  });

  it('links keep the latest state of each branch, PR and pipeline', async () => {
    await send({ kind: 'branch.created', branch: BRANCH, sha: 'a1' });
    await send({ kind: 'pr.opened', branch: BRANCH, pr: pr() });
    const state = async () => {
      const links = await api('GET', '/stories/INT-003/links');
      expect(links.status).toBe(200);
      return Object.fromEntries(
        links.body.items.map((link: any) => [`${link.type}:${link.key}`, link.state]),
      );
    };
    expect(await state()).toEqual({ [`branch:${BRANCH}`]: 'active', 'pr:7': 'open' });

    await send({
      kind: 'pipeline.started',
      branch: BRANCH,
      sha: 'a2',
      pipeline: { id: '1', status: 'running' },
    });
    await send({
      kind: 'pipeline.failed',
      branch: BRANCH,
      sha: 'a2',
      pipeline: { id: '1', status: 'failed' },
    });
    await send({
      kind: 'pipeline.succeeded',
      branch: BRANCH,
      sha: 'a3',
      pipeline: { id: '2', status: 'success', url: 'https://ci/2' },
    });
    await send({ kind: 'pr.merged', branch: BRANCH, sha: 'm1', pr: pr() });
    await send({ kind: 'branch.deleted', branch: BRANCH, sha: 'm1' });
    expect(await state()).toEqual({
      [`branch:${BRANCH}`]: 'deleted',
      'pr:7': 'merged',
      [`pipeline:${BRANCH}`]: 'succeeded',
    });
    const links = (await api('GET', '/stories/INT-003/links')).body.items;
    expect(links.find((link: any) => link.type === 'pipeline')).toMatchObject({
      repository: REPO,
      url: 'https://ci/2',
      sha: 'a3',
    });
    expect(links.find((link: any) => link.type === 'pr')).toMatchObject({
      url: 'https://github.com/acme/shop/pull/7',
      title: 'CI endpoints',
      sha: 'm1',
    });
    expect((await api('GET', '/stories/NOPE-1/links')).status).toBe(404);
  });

  it('GET /rules lists defaults, then config rules, then PUT rules, with an ETag', async () => {
    const before = await api('GET', '/rules');
    expect(before.status).toBe(200);
    expect(before.headers.get('etag')).toBe('"0"');
    expect(before.body.rules).toEqual([]);
    expect(before.body.version).toBe(0);
    const names = (rules: Rule[]) => rules.map((rule) => rule.name);
    expect(names(before.body.effective).at(-1)).toBe(CONFIG_RULE.name);
    expect(names(before.body.effective)[0]).toMatch(/^default: /);

    const mine = { name: 'api: note merges', on: 'pr.merged', then: [{ comment: 'merged' }] };
    const put = await api('PUT', '/rules', { json: { rules: [mine] } });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe('"1"');
    expect(put.body).toEqual({ rules: [{ ...mine, on: ['pr.merged'] }], version: 1 });
    const after = await api('GET', '/rules');
    expect(after.headers.get('etag')).toBe('"1"');
    expect(names(after.body.effective).slice(-2)).toEqual([CONFIG_RULE.name, mine.name]);
    expect(names(after.body.effective).filter((name) => name.startsWith('default: '))).toHaveLength(
      7,
    );

    // The managed rule takes effect on the next event.
    const merged = await send({ kind: 'pr.merged', branch: BRANCH, sha: 'm1', pr: pr() });
    expect(merged.operations[0].comments).toEqual([
      { story: 'INT-003', text: 'merged', rule: mine.name },
    ]);
  });

  it('PUT /rules: 400 naming the rule and key, 412 on a stale If-Match', async () => {
    const bad = await api('PUT', '/rules', {
      json: {
        rules: [
          { name: 'ok', on: 'push', then: [{ addLabel: 'x' }] },
          { name: 'broken', on: 'push', then: [{ transition: 'shipped' }] },
          { name: 'ok', on: 'pr.opened', then: [{ set: { status: 'done' } }] },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      {
        field: 'rules[1].then[0].transition',
        rule: 'broken',
        message: '"shipped" is not a status of the workflow',
      },
      { field: 'rules[2].name', rule: 'ok', message: 'another rule has this name' },
      {
        field: 'rules[2].then[0].set.status',
        rule: 'ok',
        message: 'cannot set status (use transition)',
      },
    ]);
    expect(bad.body.detail).toContain('rules[1].then[0].transition (rule "broken")');
    expect((await api('GET', '/rules')).body.version).toBe(0);

    const rules = [{ name: 'one', on: ['push'], then: [{ addLabel: 'x' }] }];
    expect(
      (await api('PUT', '/rules', { json: { rules }, headers: { 'if-match': '"0"' } })).status,
    ).toBe(200);
    const stale = await api('PUT', '/rules', {
      json: { rules: [] },
      headers: { 'if-match': '"0"' },
    });
    expect(stale.status).toBe(412);
    expect((await api('GET', '/rules')).body.rules).toEqual(rules);
    const weak = await api('PUT', '/rules', {
      json: { rules: [] },
      headers: { 'if-match': 'W/"1"' },
    });
    expect(weak.status).toBe(400); // a weak ETag never matches (RFC 9110)
    const current = await api('PUT', '/rules', {
      json: { rules: [] },
      headers: { 'if-match': '"1"' },
    });
    expect(current.status).toBe(200);
    expect(current.body.version).toBe(2);
    const any = await api('PUT', '/rules', { json: { rules }, headers: { 'if-match': '*' } });
    expect(any.status).toBe(200);
    const garbage = await api('PUT', '/rules', { json: { rules }, headers: { 'if-match': 'abc' } });
    expect(garbage.status).toBe(400);
    const history = await api('GET', '/audit?action=rules.updated');
    expect(history.body.items).toHaveLength(3);
  });

  it('simulate answers what would happen and changes nothing', async () => {
    await send({ kind: 'branch.created', branch: BRANCH });
    const snapshot = async () => ({
      stories: (await api('GET', '/stories?limit=100')).body.items,
      operations: (await api('GET', '/operations')).body.items,
      audit: (await server.store.audit.head())?.seq,
      links: (await api('GET', '/stories/INT-003/links')).body.items,
    });
    const before = await snapshot();

    const simulated = await api('POST', '/rules/simulate', {
      json: {
        events: [
          { kind: 'pr.opened', repository: REPO, branch: BRANCH, pr: pr() },
          { kind: 'pr.merged', repository: REPO, branch: BRANCH, sha: 'm1', pr: pr() },
          {
            kind: 'push',
            repository: REPO,
            branch: 'feature/new',
            commits: [{ sha: 'n1', message: 'New-Story: Simulated', author: 'a' }],
          },
        ],
      },
    });
    expect(simulated.status).toBe(200);
    const [opened, merged, created] = simulated.body.operations;
    expect(opened).toMatchObject({
      id: null,
      status: 'simulated',
      trigger: { kind: 'pr.opened' },
      changes: [{ story: 'INT-003', field: 'status', before: 'in_progress', after: 'in_review' }],
    });
    // Events are simulated in order, each seeing what the one before would have done.
    expect(merged.changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'in_review', after: 'done' },
    ]);
    expect(merged.steps[0].because).toContain('Closes INT-003');
    expect(created.changes[0]).toMatchObject({
      story: 'STORY-001',
      field: '(story)',
      before: null,
    });

    expect(await snapshot()).toEqual(before);
    expect((await api('GET', '/stories/STORY-001')).status).toBe(404);
  });

  it('simulate takes a provider payload with its event name', async () => {
    const payload = githubExample('pull_request', 'opened');
    payload.pull_request.head.ref = BRANCH;
    payload.pull_request.draft = false;
    payload.pull_request.body = 'Closes INT-003';
    const simulated = await api('POST', '/rules/simulate', {
      json: { provider: 'github', event: 'pull_request', payload },
    });
    expect(simulated.status).toBe(200);
    expect(simulated.body.events[0]).toMatchObject({ kind: 'pr.opened', provider: 'github' });
    expect(simulated.body.operations[0]).toMatchObject({
      status: 'simulated',
      changes: [{ story: 'INT-003', field: 'status', before: 'draft', after: 'in_review' }],
    });
    expect((await story('INT-003')).status).toBe('draft');

    const ignored = await api('POST', '/rules/simulate', {
      json: { provider: 'github', event: 'star', payload: {} },
    });
    expect(ignored.status).toBe(200);
    expect(ignored.body.operations).toEqual([]);
    expect(typeof ignored.body.ignored).toBe('string');

    const invalid = await api('POST', '/rules/simulate', {
      json: { events: [{ kind: 'push', repository: 'no-slash' }] },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].field).toMatch(/^events\.0/);
  });
});
