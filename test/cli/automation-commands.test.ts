import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open-store.js';
import { githubExample } from '../providers/github/github-examples.js';
import { fixtureStories } from '../support/fixture-stories.js';
import { http } from '../support/http.js';
import { runCliInProcess } from '../support/run-cli.js';
import { startTestServer, type TestServer } from '../support/start-test-server.js';

const REPO = 'acme/shop';
const BRANCH = 'int-003-cicd-integration-endpoints';
const pr = {
  number: 7,
  title: 'CI endpoints',
  body: 'Closes INT-003',
  source: BRANCH,
  target: 'main',
  url: 'https://github.com/acme/shop/pull/7',
  draft: false,
};

describe('storyflow operations and rules simulate', () => {
  let server: TestServer;
  let dir: string;
  const api = (method: string, path: string, options: Parameters<typeof http>[3] = {}) =>
    http(server.url, method, `/api/v1${path}`, { token: server.token, ...options });
  const send = async (event: Record<string, unknown>) =>
    (await api('POST', '/ci/events', { json: { repository: REPO, ...event } })).body as {
      delivery: string;
      operations: { id: string }[];
    };
  const cli = (...args: string[]) =>
    runCliInProcess([...args, '--url', server.url, '--token', server.token]);
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'storyflow-cli-'));
    let last = 0;
    const clock = {
      now: () => {
        last = Math.max(Date.now(), last + 1);
        return new Date(last);
      },
    };
    server = await startTestServer(await openStore('sqlite::memory:'), { clock });
    await api('POST', '/stories/import', {
      json: { documents: fixtureStories().map((fixture) => fixture.text) },
    });
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('operations list prints one line per operation, filtered, newest first', async () => {
    const created = await send({ kind: 'branch.created', branch: BRANCH });
    const opened = await send({ kind: 'pr.opened', branch: BRANCH, pr });
    const other = await send({ kind: 'branch.created', branch: 'int-004-slack-notifications' });

    const listed = await cli('operations', 'list');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${other.operations[0]?.id}  \\S+  applied  branch.created  INT-004 status: ready → in_progress$`,
      ),
    );
    expect(lines[1]).toContain('pr.opened  INT-003 status: in_progress → in_review');
    expect(lines[3]).toBe('3 operations');

    const byStory = await cli('operations', 'list', '--story', 'INT-003', '--json');
    const items = byStory.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(items.map((item) => item.id)).toEqual([
      opened.operations[0]?.id,
      created.operations[0]?.id,
    ]);

    const byDelivery = await cli('operations', 'list', '--delivery', opened.delivery);
    expect(byDelivery.stdout).toContain(String(opened.operations[0]?.id));
    expect(byDelivery.stdout).toContain('1 operation\n');

    const limited = await cli('operations', 'list', '--limit', '2');
    expect(limited.stdout.trim().split('\n')).toHaveLength(3);
    expect(limited.stdout).toContain('2 operations');

    expect((await cli('operations', 'list', '--limit', '0')).code).toBe(2);
  });

  it('operations rollback prints each conflict on its own line (exit 1); --force overrides', async () => {
    const moved = (await send({ kind: 'branch.created', branch: BRANCH })).operations[0]?.id ?? '';
    await api('POST', '/stories/INT-003/transitions', { json: { to: 'in_review' } });

    const refused = await cli('operations', 'rollback', moved);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `storyflow: cannot roll back ${moved}: 1 field changed since\n` +
        '  INT-003 status: left in_progress, now in_review\n' +
        'run again with --force to overwrite them\n',
    );

    const forced = await cli('operations', 'rollback', moved, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(new RegExp(`^Rolled back ${moved} as op_\\w+: 1 change\\n`));
    expect(forced.stdout).toContain('  INT-003 status: in_review → draft\n');
    expect((await api('GET', '/stories/INT-003')).body.status).toBe('draft');

    const again = await cli('operations', 'rollback', moved);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already rolled back');
    expect((await cli('operations', 'rollback', 'op_nope')).code).toBe(1);
  });

  it('rules simulate FILE prints what would change and changes nothing', async () => {
    const body = file('events.json', {
      events: [
        { kind: 'branch.created', repository: REPO, branch: BRANCH },
        { kind: 'pr.opened', repository: REPO, branch: BRANCH, pr },
      ],
    });
    const run = await cli('rules', 'simulate', body);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Simulated 2 events: branch.created, pr.opened\n');
    expect(run.stdout).toContain(
      '  INT-003 status: draft → in_progress  (rule: default: branch created or pushed → in_progress; because int-003-cicd-integration-endpoints)\n',
    );
    expect(run.stdout).toContain(
      '  INT-003 status: in_progress → in_review  (rule: default: pull request opened or ready → in_review;',
    );
    expect(run.stdout).toContain('Closes INT-003');
    expect((await api('GET', '/stories/INT-003')).body.status).toBe('draft');
    expect((await api('GET', '/operations')).body.items).toEqual([]);

    const json = await cli('rules', 'simulate', body, '--json');
    expect(JSON.parse(json.stdout).operations).toHaveLength(2);
    expect(JSON.parse(json.stdout).operations[0]).toMatchObject({ id: null, status: 'simulated' });

    // One normalized event on its own is taken as a list of one.
    const single = await cli(
      'rules',
      'simulate',
      file('one.json', { kind: 'push', repository: REPO, branch: BRANCH }),
    );
    expect(single.stdout).toContain('INT-003 status: draft → in_progress');

    const nothing = await cli(
      'rules',
      'simulate',
      file('none.json', { events: [{ kind: 'push', repository: REPO, branch: 'elsewhere' }] }),
    );
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toContain('Nothing would change.');
  });

  it('rules simulate takes a raw provider payload with --provider and --event', async () => {
    const payload = githubExample('pull_request', 'opened');
    payload.pull_request.head.ref = BRANCH;
    payload.pull_request.draft = false;
    const raw = file('pull_request.json', payload);
    const run = await cli(
      'rules',
      'simulate',
      raw,
      '--provider',
      'github',
      '--event',
      'pull_request',
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Simulated 1 event: pr.opened');
    expect(run.stdout).toContain('INT-003 status: draft → in_review');

    // The same payload as a simulate body, as-is.
    const wrapped = file('body.json', { provider: 'github', event: 'pull_request', payload });
    expect((await cli('rules', 'simulate', wrapped)).stdout).toContain(
      'INT-003 status: draft → in_review',
    );

    const ignored = await cli('rules', 'simulate', raw, '--provider', 'github', '--event', 'star');
    expect(ignored.code).toBe(0);
    expect(ignored.stdout).toContain('The payload stands for no event');
  });

  it('rules simulate: usage errors exit 2, server refusals 1, an unreachable server 3', async () => {
    const raw = file('payload.json', { ref: 'refs/heads/main' });
    expect((await cli('rules', 'simulate', raw)).code).toBe(2);
    expect((await cli('rules', 'simulate', raw, '--provider', 'github')).code).toBe(2);
    expect(
      (await cli('rules', 'simulate', raw, '--provider', 'sourcehut', '--event', 'x')).code,
    ).toBe(2);
    expect((await cli('rules', 'simulate', join(dir, 'missing.json'))).code).toBe(2);
    const notJson = await cli('rules', 'simulate', file('bad.json', '{nope'));
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('is not JSON');
    const invalid = await cli(
      'rules',
      'simulate',
      file('invalid.json', { events: [{ kind: 'nope' }] }),
    );
    expect(invalid.code).toBe(1);
    const unreachable = await runCliInProcess([
      'rules',
      'simulate',
      file('ok.json', { kind: 'push', repository: REPO }),
      '--url',
      'http://127.0.0.1:9',
    ]);
    expect(unreachable.code).toBe(3);
  });

  it('--help describes every command', async () => {
    for (const args of [
      ['operations'],
      ['operations', 'list'],
      ['operations', 'rollback'],
      ['rules', 'simulate'],
    ]) {
      const help = await runCliInProcess([...args, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Usage: storyflow');
    }
  });
});
