// Bitbucket Cloud and Data Center deliveries → normalized events, on the captured payloads of
// test/fixtures/bitbucket (SOURCE.md says where each comes from).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeBitbucketEvent } from '../../../src/providers/bitbucket/bitbucket-events.js';
import { bitbucketFixture } from '../../support/webhooks.js';
import { eventsOf, expectWellFormed, kindsOf, replaceFields } from '../adapter-test-helpers.js';

/** Every fixture with the X-Event-Key Bitbucket sends it under. */
const FIXTURES: ReadonlyArray<readonly [string, string]> = [
  ['cloud-push-branch-created-signed', 'repo:push'],
  ['cloud-push-multiple-changes', 'repo:push'],
  ['cloud-push-updated', 'repo:push'],
  ['cloud-push-branch-deleted', 'repo:push'],
  ['cloud-push-tag-created', 'repo:push'],
  ['cloud-pullrequest-created', 'pullrequest:created'],
  ['cloud-pullrequest-updated', 'pullrequest:updated'],
  ['cloud-pullrequest-fulfilled', 'pullrequest:fulfilled'],
  ['cloud-pullrequest-rejected', 'pullrequest:rejected'],
  ['cloud-pullrequest-approved', 'pullrequest:approved'],
  ['cloud-commit-status-created', 'repo:commit_status_created'],
  ['cloud-commit-status-updated', 'repo:commit_status_updated'],
  ['dc-refs-changed-branch-created', 'repo:refs_changed'],
  ['dc-refs-changed-updated', 'repo:refs_changed'],
  ['dc-refs-changed-tag-created', 'repo:refs_changed'],
  ['dc-refs-changed-branch-deleted', 'repo:refs_changed'],
  ['dc-pr-opened', 'pr:opened'],
  ['dc-pr-from-ref-updated', 'pr:from_ref_updated'],
  ['dc-pr-modified', 'pr:modified'],
  ['dc-pr-merged', 'pr:merged'],
  ['dc-pr-declined', 'pr:declined'],
  ['dc-pr-deleted', 'pr:deleted'],
  ['dc-diagnostics-ping', 'diagnostics:ping'],
];

const normalize = (name: string, event: string, change: (payload: any) => void = () => {}) => {
  const payload = bitbucketFixture(name);
  change(payload);
  return normalizeBitbucketEvent(event, payload);
};

const TEST_REPOS = {
  provider: 'bitbucket',
  repository: 'nfalco79/test-repos',
  repositoryId: '{3deb8c29-778a-450c-8f69-3e50a18079df}',
  actor: '{7d3a178a-a087-4756-b2da-2f9eadf50ba8}',
};

describe('Bitbucket Cloud repo:push', () => {
  it('a new branch becomes branch.created, then push with its commits oldest first', () => {
    const events = eventsOf(normalize('cloud-push-branch-created-signed', 'repo:push'));
    const sha = 'd7f300a32270053bdfd97a6d64113f58202c33e7';
    expect(events[0]).toEqual({
      kind: 'branch.created',
      ...TEST_REPOS,
      branch: 'feature/webhook',
      sha,
    });
    expect(events[1]).toMatchObject({
      kind: 'push',
      ...TEST_REPOS,
      branch: 'feature/webhook',
      sha,
      url: 'https://bitbucket.org/nfalco79/test-repos/branch/feature/webhook',
    });
    // Bitbucket lists the newest first; the author is the name of the git author line.
    expect(events[1]?.commits?.map((commit) => commit.sha.slice(0, 8))).toEqual([
      '8d0fa145',
      'bf4f4ce8',
      'e43fdffe',
      '174561d6',
      'd7f300a3',
    ]);
    expect(events[1]?.commits?.at(-1)).toEqual({
      sha,
      message: 'Test for webhook signature\n',
      author: 'Nikolas Falco',
    });
    expect(events).toHaveLength(2);
  });

  it('one push with several ref changes gives the events of each change in order; a tag gives none', () => {
    const events = eventsOf(normalize('cloud-push-multiple-changes', 'repo:push'));
    expect(events.map((event) => [event.kind, event.branch, event.sha?.slice(0, 8)])).toEqual([
      ['push', 'main', '325d3769'],
      ['branch.created', 'manchu', 'e22fcb49'],
      ['push', 'manchu', 'e22fcb49'],
    ]);
    expect(events[0]).toMatchObject({
      repository: 'cloudbeers/temp',
      actor: '{f70f195e-ade1-4961-9f89-547541377b80}',
      commits: [
        {
          sha: '325d37697849f4b1fe42cb19c20134af08e03a82',
          message: 'typo\n',
          author: 'Stephen Connolly',
        },
      ],
      url: 'https://bitbucket.org/cloudbeers/temp/branches/compare/325d37697849f4b1fe42cb19c20134af08e03a82..fc4d1ce2853b6f1ac0d0dbad643d17ef4a6e0be7',
    });
    // truncated: true — Bitbucket sent only the 5 most recent commits of that change.
    expect(events[2]?.commits).toHaveLength(5);
    expect(events[2]?.commits?.at(-1)?.message).toBe('Alt universe change\n');
  });

  it('a push to an existing branch becomes push with sha = new.target.hash', () => {
    expect(kindsOf(normalize('cloud-push-updated', 'repo:push'))).toEqual(['push']);
    const [push] = eventsOf(normalize('cloud-push-updated', 'repo:push'));
    expect(push).toMatchObject({
      repository: 'amuniz/test-repos',
      branch: 'feature/issue-819',
      sha: '5ecffa3874e96920f24a2b3c0d0038e47d5cd1a4',
    });
    expect(push?.commits?.at(-1)?.message).toBe('Test pipeline for issue JENKINS-75182\n');
  });

  it('a deleted branch becomes branch.deleted with the last commit it had', () => {
    expect(eventsOf(normalize('cloud-push-branch-deleted', 'repo:push'))).toEqual([
      {
        kind: 'branch.deleted',
        ...TEST_REPOS,
        repository: 'amuniz/test-repos',
        branch: 'feature/test',
        sha: '174561d625c9623b60d8aba09b7f08ddc9df45cd',
      },
    ]);
  });

  it('a pushed tag is ignored', () => {
    expect(normalize('cloud-push-tag-created', 'repo:push')).toEqual({
      status: 'ignored',
      reason: 'repo:push changes no branch',
    });
  });

  it("names the author by the account when the git author line has no name (the docs' example shape)", () => {
    const [push] = eventsOf(
      normalize('cloud-push-updated', 'repo:push', (payload) => {
        const commit = payload.push.changes[0].commits[0];
        commit.author = { display_name: 'Emma', nickname: 'emmap1' };
      }),
    );
    expect(push?.commits?.at(-1)?.author).toBe('Emma');
  });
});

describe('Bitbucket Cloud pull requests', () => {
  it('pullrequest:created becomes pr.opened with the source head (an abbreviated hash)', () => {
    expect(eventsOf(normalize('cloud-pullrequest-created', 'pullrequest:created'))).toEqual([
      {
        kind: 'pr.opened',
        provider: 'bitbucket',
        repository: 'amuniz/test-repos',
        repositoryId: '{f991126e-6825-40ea-a1c2-e72c336ae41e}',
        actor: '{6b47f1dc-23a0-4b99-9964-d13e665f5d8e}',
        branch: 'feature/test',
        sha: 'd31df3425c5b',
        pr: {
          number: 735,
          title: 'BUILD test',
          body: '',
          source: 'feature/test',
          target: 'master',
          url: 'https://bitbucket.org/amuniz/test-repos/pull-requests/735',
          draft: false,
        },
        url: 'https://bitbucket.org/amuniz/test-repos/pull-requests/735',
        occurredAt: '2024-11-09T13:02:57.098Z',
      },
    ]);
  });

  it('a draft pull request keeps its draft flag', () => {
    const [opened] = eventsOf(
      normalize('cloud-pullrequest-created', 'pullrequest:created', (payload) => {
        payload.pullrequest.draft = true;
      }),
    );
    expect(opened?.pr?.draft).toBe(true);
  });

  it('pullrequest:updated becomes pr.updated with its description as body', () => {
    const [updated] = eventsOf(normalize('cloud-pullrequest-updated', 'pullrequest:updated'));
    expect(updated).toMatchObject({
      kind: 'pr.updated',
      branch: 'release/release-1',
      sha: 'f945c96c71d0',
      pr: { number: 1, body: '* Add license\r\n\r\n* [CI] Release version 1.0.0', draft: false },
    });
  });

  it('pullrequest:fulfilled becomes pr.merged with the merge commit', () => {
    const [merged] = eventsOf(normalize('cloud-pullrequest-fulfilled', 'pullrequest:fulfilled'));
    expect(merged).toMatchObject({
      kind: 'pr.merged',
      repository: 'cloudbeers/temp',
      actor: '{f70f195e-ade1-4961-9f89-547541377b80}',
      branch: 'foo',
      sha: '1986c2284946',
      pr: { number: 2, source: 'foo', target: 'main' },
      occurredAt: '2017-03-06T10:41:59.551Z',
    });
  });

  it('pullrequest:rejected (declined) becomes pr.closed', () => {
    expect(kindsOf(normalize('cloud-pullrequest-rejected', 'pullrequest:rejected'))).toEqual([
      'pr.closed',
    ]);
  });

  it('approvals are ignored', () => {
    expect(normalize('cloud-pullrequest-approved', 'pullrequest:approved')).toEqual({
      status: 'ignored',
      reason: 'Bitbucket event "pullrequest:approved" is not tracked',
    });
  });
});

describe('Bitbucket Cloud commit statuses', () => {
  const status = (state: string) =>
    normalize('cloud-commit-status-updated', 'repo:commit_status_updated', (payload) => {
      payload.commit_status.state = state;
    });

  it('INPROGRESS becomes pipeline.started; the commit is read from links.commit', () => {
    expect(
      eventsOf(normalize('cloud-commit-status-created', 'repo:commit_status_created')),
    ).toEqual([
      {
        kind: 'pipeline.started',
        provider: 'bitbucket',
        repository: 'team_name/repo_name',
        repositoryId: '{673a6070-3421-46c9-9d48-90745f7bfe8e}',
        actor: '{a54f16da-24e9-4d7f-a3a7-b1ba2cd98aa3}',
        sha: '9fec847784abb10b2fa567ee63b85bd238955d0e',
        pipeline: {
          id: 'mybuildtool@9fec847784abb10b2fa567ee63b85bd238955d0e',
          name: 'Unit Tests (Python)',
          url: 'https://my-build-tool.com/builds/MY-PROJECT/BUILD-777',
          status: 'INPROGRESS',
        },
        url: 'https://my-build-tool.com/builds/MY-PROJECT/BUILD-777',
        occurredAt: '2015-11-19T20:37:35.547Z',
      },
    ]);
  });

  it('SUCCESSFUL becomes pipeline.succeeded at updated_on', () => {
    expect(eventsOf(status('SUCCESSFUL'))[0]).toMatchObject({
      kind: 'pipeline.succeeded',
      occurredAt: '2015-11-20T08:01:16.433Z',
    });
  });

  it('FAILED and STOPPED become pipeline.failed, keeping the word', () => {
    expect(eventsOf(status('FAILED'))[0]).toMatchObject({
      kind: 'pipeline.failed',
      pipeline: { status: 'FAILED' },
    });
    expect(eventsOf(status('STOPPED'))[0]).toMatchObject({
      kind: 'pipeline.failed',
      pipeline: { status: 'STOPPED' },
    });
  });

  it('an unknown state is ignored', () => {
    expect(status('PENDING')).toEqual({
      status: 'ignored',
      reason: 'commit status state "PENDING" is not tracked',
    });
  });

  it('commit.hash and refname, when Bitbucket sends them, give sha and branch', () => {
    const result = normalize('cloud-commit-status-updated', 'repo:commit_status_updated', (p) => {
      p.commit_status.commit = { hash: 'a'.repeat(40), type: 'commit' };
      p.commit_status.refname = 'feature/int-003';
    });
    expect(eventsOf(result)[0]).toMatchObject({ sha: 'a'.repeat(40), branch: 'feature/int-003' });
  });
});

describe('Bitbucket Data Center repo:refs_changed', () => {
  it('an ADD of a branch becomes branch.created, then push with the commits it brought', () => {
    const events = eventsOf(normalize('dc-refs-changed-branch-created', 'repo:refs_changed'));
    const sha = 'fb522a6f08c7c7df337312e4e65ec1b57710672e';
    const base = {
      provider: 'bitbucket',
      repository: 'AMUNIZ/test-repos',
      repositoryId: '2',
      actor: 'admin',
      occurredAt: '2026-06-05T13:54:44.000Z',
      branch: 'feature/BB-1',
      sha,
    };
    expect(events[0]).toEqual({ kind: 'branch.created', ...base });
    expect(events[1]).toEqual({
      kind: 'push',
      ...base,
      commits: [
        {
          sha: '8d0fa145bde5151f1d103ab1c3dc1033e6ec4ac1',
          message: 'Initial commit',
          author: 'Antonio Muniz',
        },
        {
          sha: 'bf4f4ce8a3a8d5c7dbfe7d609973a81a6c6664cf',
          message: 'Add sample script hello world',
          author: 'Antonio Muniz',
        },
        {
          sha: 'ae995d7a37069d0988462a9c92828971e8a42b5d',
          message: 'Support also windows environments',
          author: 'Antonio Muniz',
        },
        { sha, message: 'Suppress echo command part', author: 'Antonio Muniz' },
      ],
    });
  });

  it('an UPDATE becomes push with sha = toHash', () => {
    expect(eventsOf(normalize('dc-refs-changed-updated', 'repo:refs_changed'))).toEqual([
      {
        kind: 'push',
        provider: 'bitbucket',
        repository: 'AMUNIZ/test-repos',
        repositoryId: '1',
        actor: 'amuniz',
        occurredAt: '2024-11-27T01:34:45.000Z',
        branch: 'main',
        sha: '9fdd7b96d3f5c276d0b9e0bf38c879eb112d889a',
        commits: [
          {
            sha: '9fdd7b96d3f5c276d0b9e0bf38c879eb112d889a',
            message: 'source-2: Wed 13 Nov 2024 21:54:36 AEST',
            author: 'amuniz',
          },
        ],
      },
    ]);
  });

  it('a DELETE becomes branch.deleted with fromHash; a personal repository is ~USER/slug', () => {
    expect(eventsOf(normalize('dc-refs-changed-branch-deleted', 'repo:refs_changed'))).toEqual([
      {
        kind: 'branch.deleted',
        provider: 'bitbucket',
        repository: '~gopher/webhook-test',
        repositoryId: '4',
        actor: 'gopher',
        occurredAt: '2019-03-01T09:37:14.000Z',
        branch: 'feature/wip',
        sha: '32a0b8a740c2963c6f56bd8baf3dc05683d299e0',
      },
    ]);
  });

  it('a tag is ignored', () => {
    expect(kindsOf(normalize('dc-refs-changed-tag-created', 'repo:refs_changed'))).toBe('ignored');
  });

  it('commits whose parents form a cycle (a forged but signed body) end the walk, each once', () => {
    const result = normalize('dc-refs-changed-updated', 'repo:refs_changed', (payload) => {
      const [commit] = payload.commits;
      commit.parents = [{ id: commit.id }, { id: commit.id }];
      payload.changes[0].fromHash = undefined;
    });
    expect(eventsOf(result)[0]?.commits?.map((commit) => commit.sha)).toEqual([
      '9fdd7b96d3f5c276d0b9e0bf38c879eb112d889a',
    ]);
  });

  it('payloads without commits (before Bitbucket 9) give push with no commits', () => {
    const result = normalize('dc-refs-changed-updated', 'repo:refs_changed', (payload) => {
      delete payload.commits;
      delete payload.toCommit;
    });
    expect(eventsOf(result)[0]?.commits).toEqual([]);
  });

  it('with two branches pushed at once, each push gets only the commits on its own side', () => {
    const result = normalize('dc-refs-changed-branch-created', 'repo:refs_changed', (payload) => {
      const [change] = payload.changes;
      // The same push also moved master from the initial commit to the second one.
      payload.changes.push({
        ...change,
        ref: { id: 'refs/heads/master', displayId: 'master', type: 'BRANCH' },
        refId: 'refs/heads/master',
        fromHash: '8d0fa145bde5151f1d103ab1c3dc1033e6ec4ac1',
        toHash: 'bf4f4ce8a3a8d5c7dbfe7d609973a81a6c6664cf',
        type: 'UPDATE',
      });
    });
    const pushes = eventsOf(result).filter((event) => event.kind === 'push');
    expect(pushes.map((push) => [push.branch, push.commits?.length])).toEqual([
      ['feature/BB-1', 4],
      ['master', 1],
    ]);
    expect(pushes[1]?.commits?.[0]?.sha).toBe('bf4f4ce8a3a8d5c7dbfe7d609973a81a6c6664cf');
  });
});

describe('Bitbucket Data Center pull requests', () => {
  const GOPHER = {
    provider: 'bitbucket',
    repository: '~gopher/webhook-test',
    repositoryId: '4',
    actor: 'gopher',
  };

  it('pr:opened becomes pr.opened on the target repository, at the event date', () => {
    expect(eventsOf(normalize('dc-pr-opened', 'pr:opened'))).toEqual([
      {
        kind: 'pr.opened',
        ...GOPHER,
        occurredAt: '2019-03-01T09:31:15.000Z',
        branch: 'feature/wip',
        sha: '32a0b8a740c2963c6f56bd8baf3dc05683d299e0',
        pr: {
          number: 5,
          title: 'Update README',
          body: 'yada yada yada',
          source: 'feature/wip',
          target: 'master',
          url: 'https://server.bitbucket.local/users/gopher/repos/webhook-test/pull-requests/5',
          draft: false,
        },
        url: 'https://server.bitbucket.local/users/gopher/repos/webhook-test/pull-requests/5',
      },
    ]);
  });

  it('pr:from_ref_updated becomes pr.updated with the new source head', () => {
    const [updated] = eventsOf(normalize('dc-pr-from-ref-updated', 'pr:from_ref_updated'));
    expect(updated).toEqual({
      kind: 'pr.updated',
      provider: 'bitbucket',
      repository: 'PROJ/repository',
      repositoryId: '84',
      actor: 'admin',
      occurredAt: '2017-09-18T23:58:11.000Z',
      branch: 'a-branch',
      sha: 'ef8755f06ee4b28c96a847a95cb8ec8ed6ddd1ca',
      pr: {
        number: 1,
        title: 'a new file added',
        body: '',
        source: 'a-branch',
        target: 'master',
        url: '',
        draft: false,
      },
    });
  });

  it('pr:modified becomes pr.updated', () => {
    expect(kindsOf(normalize('dc-pr-modified', 'pr:modified'))).toEqual(['pr.updated']);
  });

  it('pr:merged becomes pr.merged with the merge commit', () => {
    expect(eventsOf(normalize('dc-pr-merged', 'pr:merged'))[0]).toMatchObject({
      kind: 'pr.merged',
      ...GOPHER,
      sha: 'cbf26be7bfc8394906abbd571498fb8d28888b58',
      pr: { number: 5, source: 'feature/wip', target: 'master' },
    });
  });

  it('pr:merged without a merge commit (fast-forward) lands the source head', () => {
    const result = normalize('dc-pr-merged', 'pr:merged', (payload) => {
      delete payload.pullRequest.properties;
    });
    expect(eventsOf(result)[0]?.sha).toBe('32a0b8a740c2963c6f56bd8baf3dc05683d299e0');
  });

  it('pr:declined and pr:deleted become pr.closed', () => {
    expect(kindsOf(normalize('dc-pr-declined', 'pr:declined'))).toEqual(['pr.closed']);
    expect(kindsOf(normalize('dc-pr-deleted', 'pr:deleted'))).toEqual(['pr.closed']);
  });

  it('a draft pull request (Bitbucket 8.18+) keeps its draft flag', () => {
    const result = normalize('dc-pr-opened', 'pr:opened', (payload) => {
      payload.pullRequest.draft = true;
    });
    expect(eventsOf(result)[0]?.pr?.draft).toBe(true);
  });

  it('reviewer and comment events are ignored', () => {
    for (const event of ['pr:reviewer:approved', 'pr:comment:added']) {
      expect(kindsOf(normalize('dc-pr-opened', event))).toBe('ignored');
    }
  });
});

describe('any Bitbucket delivery', () => {
  it('"Test connection" (diagnostics:ping) is ignored as a ping', () => {
    expect(normalize('dc-diagnostics-ping', 'diagnostics:ping')).toEqual({
      status: 'ignored',
      reason: 'ping',
    });
  });

  it('an event key storyflow does not track is ignored', () => {
    expect(normalize('cloud-push-updated', 'repo:fork')).toEqual({
      status: 'ignored',
      reason: 'Bitbucket event "repo:fork" is not tracked',
    });
  });

  it("a payload under the other flavour's key is ignored, never misread", () => {
    expect(kindsOf(normalize('dc-refs-changed-updated', 'repo:push'))).toBe('ignored');
    expect(kindsOf(normalize('cloud-push-updated', 'repo:refs_changed'))).toBe('ignored');
    expect(kindsOf(normalize('dc-pr-opened', 'pullrequest:created'))).toBe('ignored');
    expect(kindsOf(normalize('cloud-pullrequest-created', 'pr:opened'))).toBe('ignored');
  });

  it('never throws and gives only schema-valid events, whatever the JSON', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES.map(([, event]) => event)),
        fc.jsonValue(),
        (event, payload) => {
          expectWellFormed(normalizeBitbucketEvent(event, payload));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on a captured payload with fields replaced by arbitrary JSON', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FIXTURES),
        fc.array(fc.tuple(fc.nat(), fc.jsonValue()), { maxLength: 5 }),
        ([name, event], replacements) => {
          const payload = bitbucketFixture(name);
          replaceFields(payload, replacements);
          expectWellFormed(normalizeBitbucketEvent(event, payload));
        },
      ),
      { numRuns: 300 },
    );
  });
});
