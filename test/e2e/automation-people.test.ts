// End to end (issue #17 points 6 and 7), with the real GitHub and GitLab payloads of the other
// automation tests: one person across both forges, smart commands only for that person, and a
// story worked on in a GitHub PR and a GitLab MR that moves to done on the last merge.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { type AutomationHarness, startAutomationHarness } from '../support/automation-e2e.js';
import {
  GITHUB_DEFAULT_BRANCH,
  GITHUB_REPOSITORY,
  GITLAB_DEFAULT_BRANCH,
  GITLAB_REPOSITORY,
  githubPullRequest,
  githubPush,
  gitlabMergeRequest,
  gitlabPush,
  sha,
} from '../support/automation-payloads.js';
import { describeEachStore } from '../support/store-factories.js';

const base = loadConfig({ env: {}, cwd: '/nonexistent' });

describeEachStore('people and several pull requests, end to end', (open) => {
  let harness: AutomationHarness;
  beforeEach(async () => {
    harness = await startAutomationHarness(await open(), {
      config: {
        // The examples' senders: Codertocat on GitHub, jsmith (pushes) and root (MRs) on GitLab.
        people: [
          {
            name: 'Ada Lovelace',
            identities: ['github:Codertocat', 'gitlab:jsmith', 'gitlab:root'],
            roles: ['developer'],
          },
        ],
        automation: { ...base.automation, smartCommands: { roles: ['developer'] } },
      },
    });
  });
  afterEach(async () => {
    await harness.close();
  });

  it('smart commands act for the person from either forge, and are refused for anyone else', async () => {
    const intruder = githubPush(GITHUB_DEFAULT_BRANCH, [
      { id: sha('mallory'), message: 'Tidy up\n\nINT-004 #in_progress' },
    ]);
    intruder.sender.login = 'mallory';
    const refused = await harness.github('push', intruder);
    expect(refused.status).toBe('processed');
    expect(refused.operations[0].steps).toContainEqual(
      expect.objectContaining({
        story: 'INT-004',
        rule: 'smart command',
        skipped: 'github:mallory is not one of people; smart commands ignored',
      }),
    );
    expect((await harness.story('INT-004')).status).toBe('ready');

    await harness.github(
      'push',
      githubPush(GITHUB_DEFAULT_BRANCH, [
        { id: sha('ada github'), message: 'Start the Slack client\n\nINT-004 #in_progress' },
      ]),
    );
    expect((await harness.story('INT-004')).status).toBe('in_progress');
    await harness.gitlab(
      'Push Hook',
      gitlabPush(GITLAB_DEFAULT_BRANCH, [
        { id: sha('ada gitlab'), message: 'Notes\n\nINT-004 #comment pushed from GitLab' },
      ]),
    );

    const history = (await harness.history('INT-004')).filter(
      (entry: any) => entry.actor.type === 'webhook',
    );
    expect(
      history.map((entry: any) => [entry.action, entry.actor.person ?? null, entry.actor.login]),
    ).toEqual([
      ['story.smart_command_refused', null, 'github:mallory'],
      ['story.automated', 'Ada Lovelace', 'github:Codertocat'],
      ['story.commented', 'Ada Lovelace', 'gitlab:jsmith'],
    ]);
    const hers = await harness.api('GET', '/audit?actor=Ada%20Lovelace');
    expect(hers.body.items.map((entry: any) => entry.action)).toEqual([
      'story.automated',
      'story.commented',
    ]);
    expect((await harness.api('GET', '/audit/verify')).body.ok).toBe(true);
  });

  it('a story in a GitHub PR and a GitLab MR moves to done when the last is merged', async () => {
    const pr = { number: 7, head: 'int-003-api', body: 'Closes INT-003' };
    await harness.github('pull_request', githubPullRequest('opened', pr));
    const mr = { iid: 5, source: 'int-003-board', description: 'Fixes INT-003 and UI-007' };
    await harness.gitlab('Merge Request Hook', gitlabMergeRequest('open', mr));
    expect((await harness.story('INT-003')).status).toBe('in_review');

    await harness.github(
      'pull_request',
      githubPullRequest('closed', { ...pr, mergeSha: sha('INT-003 api merge') }),
    );
    expect((await harness.story('INT-003')).status).toBe('in_review');

    const merged = await harness.gitlab(
      'Merge Request Hook',
      gitlabMergeRequest('merge', { ...mr, mergeSha: sha('INT-003 board merge') }),
    );
    expect(merged.operations[0].changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'in_review', after: 'done' },
      { story: 'UI-007', field: 'status', before: 'in_review', after: 'done' },
    ]);
    const prs = (await harness.links('INT-003'))
      .filter((link: any) => link.type === 'pr')
      .map((link: any) => [link.repository, link.key, link.state])
      .sort();
    expect(prs).toEqual([
      [GITHUB_REPOSITORY, '7', 'merged'],
      [GITLAB_REPOSITORY, '5', 'merged'],
    ]);
  });
});
