import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeGithubEvent } from '../../../src/providers/github/github-events.js';
import { eventsOf, expectWellFormed, kindsOf, replaceFields } from '../adapter-test-helpers.js';
import { ALL_GITHUB_EXAMPLES, githubExample, type Payload } from './github-examples.js';

const REPO = {
  provider: 'github',
  repository: 'Codertocat/Hello-World',
  repositoryId: '186853002',
  defaultBranch: 'master',
  actor: 'Codertocat',
};

function withChanges(payload: Payload, change: (payload: Payload) => void): Payload {
  change(payload);
  return payload;
}

describe('GitHub create and delete', () => {
  const branchCreate = () =>
    withChanges(githubExample('create'), (p) => {
      p.ref_type = 'branch';
      p.ref = 'feature/STORY-12-login';
    });

  it('a created branch becomes branch.created with the repository context', () => {
    expect(eventsOf(normalizeGithubEvent('create', branchCreate()))).toEqual([
      { kind: 'branch.created', ...REPO, branch: 'feature/STORY-12-login' },
    ]);
  });

  it('a deleted branch becomes branch.deleted', () => {
    const payload = withChanges(githubExample('delete'), (p) => {
      p.ref_type = 'branch';
      p.ref = 'feature/STORY-12-login';
    });
    expect(eventsOf(normalizeGithubEvent('delete', payload))).toEqual([
      { kind: 'branch.deleted', ...REPO, branch: 'feature/STORY-12-login' },
    ]);
  });

  it.each(['create', 'delete'])('a %s of a tag is ignored', (event) => {
    const result = normalizeGithubEvent(event, githubExample(event));
    expect(result).toEqual({ status: 'ignored', reason: `${event} of a tag` });
  });
});

describe('GitHub push', () => {
  const branchPush = () => githubExample('push', (p) => p.ref === 'refs/heads/master');

  it('a push that creates a branch becomes branch.created then push with its commits', () => {
    const common = {
      ...REPO,
      branch: 'master',
      sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      occurredAt: '2019-05-15T15:20:57.000Z', // repository.pushed_at 1557933657 (Unix seconds)
    };
    expect(eventsOf(normalizeGithubEvent('push', branchPush()))).toEqual([
      { kind: 'branch.created', ...common },
      {
        kind: 'push',
        ...common,
        commits: [
          {
            sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
            message: 'Initial commit',
            author: 'Codertocat',
          },
        ],
        url: 'https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      },
    ]);
  });

  it('a push to an existing branch becomes one push event', () => {
    const payload = withChanges(branchPush(), (p) => {
      p.created = false;
    });
    expect(kindsOf(normalizeGithubEvent('push', payload))).toEqual(['push']);
  });

  it('a push that deletes a branch becomes branch.deleted with the last sha it had', () => {
    const payload = withChanges(
      githubExample('push', (p) => p.deleted === true),
      (p) => {
        p.ref = 'refs/heads/feature/old';
      },
    );
    expect(eventsOf(normalizeGithubEvent('push', payload))).toEqual([
      expect.objectContaining({
        kind: 'branch.deleted',
        branch: 'feature/old',
        sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      }),
    ]);
  });

  it.each([
    ['creates', (p: Payload) => p.ref === 'refs/tags/simple-tag' && p.created === true],
    ['deletes', (p: Payload) => p.ref === 'refs/tags/simple-tag' && p.deleted === true],
  ])('a push that %s a tag is ignored', (_, pick) => {
    expect(normalizeGithubEvent('push', githubExample('push', pick))).toEqual({
      status: 'ignored',
      reason: 'push to refs/tags/simple-tag is not a branch push',
    });
  });

  it('keeps the author name of every commit and skips commits without an id', () => {
    const payload = withChanges(branchPush(), (p) => {
      p.created = false;
      p.commits.push({ message: 'no id' }, { id: 'abc123', message: null, author: null });
    });
    const [push] = eventsOf(normalizeGithubEvent('push', payload));
    expect(push?.commits?.map((c) => [c.sha, c.message, c.author])).toEqual([
      ['6113728f27ae82c7b1a177c8d03f9e96e0adf246', 'Initial commit', 'Codertocat'],
      ['abc123', '', ''],
    ]);
  });
});

describe('GitHub pull_request', () => {
  const PR = {
    number: 2,
    title: 'Update the README with new information.',
    body: 'This is a pretty simple change that we need to pull into master.',
    source: 'changes',
    target: 'master',
    url: 'https://github.com/Codertocat/Hello-World/pull/2',
    draft: false,
  };
  const HEAD = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';

  it('an opened pull_request becomes pr.opened with source, target, head sha and draft flag', () => {
    expect(
      eventsOf(normalizeGithubEvent('pull_request', githubExample('pull_request', 'opened'))),
    ).toEqual([
      {
        kind: 'pr.opened',
        ...REPO,
        branch: 'changes',
        sha: HEAD,
        pr: PR,
        url: PR.url,
        occurredAt: '2019-05-15T15:20:33.000Z',
      },
    ]);
  });

  it.each([
    ['reopened', 'pr.opened'],
    ['synchronize', 'pr.updated'],
    ['ready_for_review', 'pr.ready'],
    ['closed', 'pr.closed'],
  ])('a %s pull_request becomes %s', (action, kind) => {
    const events = eventsOf(
      normalizeGithubEvent('pull_request', githubExample('pull_request', action)),
    );
    expect(events).toEqual([expect.objectContaining({ kind, branch: 'changes', pr: PR })]);
  });

  it('an edited pull_request becomes pr.updated', () => {
    const payload = withChanges(githubExample('pull_request', 'synchronize'), (p) => {
      p.action = 'edited';
    });
    expect(kindsOf(normalizeGithubEvent('pull_request', payload))).toEqual(['pr.updated']);
  });

  it('a pull_request opened as draft keeps the draft flag', () => {
    const payload = withChanges(githubExample('pull_request', 'opened'), (p) => {
      p.pull_request.draft = true;
    });
    const [event] = eventsOf(normalizeGithubEvent('pull_request', payload));
    expect(event?.pr?.draft).toBe(true);
  });

  it('a pull_request converted to draft becomes pr.updated with draft true', () => {
    const events = eventsOf(
      normalizeGithubEvent('pull_request', githubExample('pull_request', 'converted_to_draft')),
    );
    expect(events).toEqual([
      expect.objectContaining({ kind: 'pr.updated', pr: { ...PR, draft: true } }),
    ]);
  });

  it('a merged pull_request becomes pr.merged with the merge commit sha', () => {
    const payload = withChanges(githubExample('pull_request', 'closed'), (p) => {
      p.pull_request.merged = true;
      p.pull_request.merged_at = '2019-05-15T15:21:17Z';
    });
    expect(eventsOf(normalizeGithubEvent('pull_request', payload))).toEqual([
      {
        kind: 'pr.merged',
        ...REPO,
        branch: 'changes',
        sha: 'c4295bd74fb0f4fda03689c3df3f2803b658fd85',
        pr: PR,
        url: PR.url,
        occurredAt: '2019-05-15T15:21:17.000Z',
      },
    ]);
  });

  it('a closed pull_request that was not merged becomes pr.closed with the head sha', () => {
    const [event] = eventsOf(
      normalizeGithubEvent('pull_request', githubExample('pull_request', 'closed')),
    );
    expect(event).toMatchObject({ kind: 'pr.closed', sha: HEAD });
  });

  it.each(['assigned', 'labeled', 'locked', 'review_requested', 'unassigned'])(
    'a %s pull_request is ignored',
    (action) => {
      expect(normalizeGithubEvent('pull_request', githubExample('pull_request', action))).toEqual({
        status: 'ignored',
        reason: `pull_request action "${action}" is not tracked`,
      });
    },
  );

  it('a pull_request without head.ref is ignored, not thrown', () => {
    const payload = withChanges(githubExample('pull_request', 'opened'), (p) => {
      delete p.pull_request.head;
    });
    expect(normalizeGithubEvent('pull_request', payload).status).toBe('ignored');
  });
});

describe('GitHub workflow_run', () => {
  const succeeded = () =>
    githubExample('workflow_run', (p) => p.workflow_run.conclusion === 'success');

  it('a successful completed workflow_run becomes pipeline.succeeded', () => {
    expect(eventsOf(normalizeGithubEvent('workflow_run', succeeded()))).toEqual([
      {
        kind: 'pipeline.succeeded',
        provider: 'github',
        repository: 'octo-org/octo-repo',
        repositoryId: '300029405',
        defaultBranch: 'master',
        actor: 'Codertocat',
        branch: 'master',
        sha: '3484a3fb816e0859fd6e1cea078d76385ff50625',
        pipeline: {
          id: '289782451',
          name: 'test', // the run's name is empty, so the workflow's is used
          url: 'https://github.com/octo-org/octo-repo/actions/runs/289782451',
          status: 'success',
        },
        url: 'https://github.com/octo-org/octo-repo/actions/runs/289782451',
        occurredAt: '2020-10-05T16:33:49.000Z',
        sequence: 1,
      },
    ]);
  });

  it('a requested workflow_run becomes pipeline.started', () => {
    const events = eventsOf(
      normalizeGithubEvent('workflow_run', githubExample('workflow_run', 'requested')),
    );
    expect(events).toEqual([
      expect.objectContaining({
        kind: 'pipeline.started',
        pipeline: expect.objectContaining({ status: 'requested' }),
      }),
    ]);
  });

  it('an in_progress workflow_run becomes pipeline.started', () => {
    const payload = withChanges(githubExample('workflow_run', 'requested'), (p) => {
      p.action = 'in_progress';
    });
    expect(kindsOf(normalizeGithubEvent('workflow_run', payload))).toEqual(['pipeline.started']);
  });

  it.each([
    ['failure', 'pipeline.failed'],
    ['timed_out', 'pipeline.failed'],
    ['cancelled', 'pipeline.failed'],
    ['startup_failure', 'pipeline.failed'],
    ['success', 'pipeline.succeeded'],
  ])('a workflow_run completed with %s becomes %s and keeps the conclusion', (conclusion, kind) => {
    const payload = withChanges(succeeded(), (p) => {
      p.workflow_run.conclusion = conclusion;
    });
    const [event] = eventsOf(normalizeGithubEvent('workflow_run', payload));
    expect(event).toMatchObject({ kind, pipeline: { status: conclusion } });
  });

  it.each(['neutral', 'skipped', 'stale', 'action_required'])(
    'a workflow_run completed with %s gives no verdict and is ignored',
    (conclusion) => {
      const payload = withChanges(succeeded(), (p) => {
        p.workflow_run.conclusion = conclusion;
      });
      expect(normalizeGithubEvent('workflow_run', payload)).toEqual({
        status: 'ignored',
        reason: `workflow_run completed with conclusion "${conclusion}"`,
      });
    },
  );

  it('a completed workflow_run without a conclusion (real example) is ignored', () => {
    const payload = githubExample(
      'workflow_run',
      (p) => p.action === 'completed' && !p.workflow_run.conclusion,
    );
    expect(normalizeGithubEvent('workflow_run', payload)).toEqual({
      status: 'ignored',
      reason: 'workflow_run completed with conclusion "none"',
    });
  });
});

describe('GitHub check_suite', () => {
  const thirdParty = (action: string) =>
    githubExample(
      'check_suite',
      (p) => p.action === action && p.check_suite.app.slug !== 'github-actions',
    );

  it('a successful completed check_suite becomes pipeline.succeeded named after the app', () => {
    expect(eventsOf(normalizeGithubEvent('check_suite', thirdParty('completed')))).toEqual([
      {
        kind: 'pipeline.succeeded',
        ...REPO,
        branch: 'changes',
        sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
        pipeline: { id: '118578147', name: 'octocoders-linter', status: 'success' },
        occurredAt: '2019-05-15T15:21:14.000Z',
      },
    ]);
  });

  it('a failed completed check_suite becomes pipeline.failed', () => {
    const payload = withChanges(thirdParty('completed'), (p) => {
      p.check_suite.conclusion = 'failure';
    });
    expect(kindsOf(normalizeGithubEvent('check_suite', payload))).toEqual(['pipeline.failed']);
  });

  it.each(['requested', 'rerequested'])('a %s check_suite becomes pipeline.started', (action) => {
    const [event] = eventsOf(normalizeGithubEvent('check_suite', thirdParty(action)));
    expect(event).toMatchObject({ kind: 'pipeline.started', pipeline: { status: action } });
  });

  it('a check_suite of GitHub Actions is ignored because workflow_run reports it', () => {
    const payload = githubExample(
      'check_suite',
      (p) => p.check_suite.app.slug === 'github-actions',
    );
    expect(normalizeGithubEvent('check_suite', payload)).toEqual({
      status: 'ignored',
      reason: 'check_suite of GitHub Actions is reported by workflow_run',
    });
  });

  it('a completed check_suite with a neutral conclusion is ignored', () => {
    const payload = withChanges(thirdParty('completed'), (p) => {
      p.check_suite.conclusion = 'neutral';
    });
    expect(normalizeGithubEvent('check_suite', payload).status).toBe('ignored');
  });
});

describe('GitHub deployment and deployment_status', () => {
  it('a created deployment becomes deployment.started with environment, ref and sha', () => {
    expect(eventsOf(normalizeGithubEvent('deployment', githubExample('deployment')))).toEqual([
      {
        kind: 'deployment.started',
        ...REPO,
        branch: 'master',
        sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
        environment: 'production',
        deployment: { id: '145988746', status: 'created' },
        occurredAt: '2019-05-15T15:20:53.000Z',
      },
    ]);
  });

  const withState = (state: string) =>
    withChanges(
      githubExample('deployment_status', (p) => p.deployment_status.state === 'in_progress'),
      (p) => {
        p.deployment_status.state = state;
      },
    );

  it('a successful deployment_status becomes deployment.succeeded', () => {
    const payload = githubExample(
      'deployment_status',
      (p) => p.deployment_status.state === 'success',
    );
    expect(eventsOf(normalizeGithubEvent('deployment_status', payload))).toEqual([
      {
        kind: 'deployment.succeeded',
        ...REPO,
        branch: 'master',
        sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
        environment: 'production',
        deployment: { id: '145988746', status: 'success' },
        occurredAt: '2019-05-15T15:20:55.000Z',
        sequence: 209916254,
      },
    ]);
  });

  it('an in_progress deployment_status becomes deployment.started with its log url', () => {
    const payload = githubExample(
      'deployment_status',
      (p) => p.deployment_status.state === 'in_progress',
    );
    const [event] = eventsOf(normalizeGithubEvent('deployment_status', payload));
    expect(event).toMatchObject({
      kind: 'deployment.started',
      environment: 'github-pages',
      url: 'https://github.com/CorsixTH/CorsixTH/runs/4687056418?check_suite_focus=true',
      occurredAt: '2022-01-03T01:28:40.000Z',
    });
  });

  it.each([
    ['queued', 'deployment.started'],
    ['pending', 'deployment.started'],
    ['failure', 'deployment.failed'],
    ['error', 'deployment.failed'],
  ])('a %s deployment_status becomes %s', (state, kind) => {
    expect(kindsOf(normalizeGithubEvent('deployment_status', withState(state)))).toEqual([kind]);
  });

  it('an inactive deployment_status (superseded, not rolled back) is ignored', () => {
    expect(normalizeGithubEvent('deployment_status', withState('inactive'))).toEqual({
      status: 'ignored',
      reason: 'deployment_status state "inactive" is not tracked',
    });
  });

  it('a deployment_status with an environment_url keeps it on the deployment', () => {
    const payload = withChanges(withState('success'), (p) => {
      p.deployment_status.environment_url = 'https://codertocat.github.io/Hello-World';
    });
    const [event] = eventsOf(normalizeGithubEvent('deployment_status', payload));
    expect(event?.deployment?.environmentUrl).toBe('https://codertocat.github.io/Hello-World');
  });
});

describe('GitHub release', () => {
  it('a published release becomes release.published with its tag', () => {
    expect(
      eventsOf(normalizeGithubEvent('release', githubExample('release', 'published'))),
    ).toEqual([
      {
        kind: 'release.published',
        ...REPO,
        tag: '0.0.1',
        release: {
          tag: '0.0.1',
          name: '0.0.1', // the release has no name, so the tag names it
          url: 'https://github.com/Codertocat/Hello-World/releases/tag/0.0.1',
        },
        url: 'https://github.com/Codertocat/Hello-World/releases/tag/0.0.1',
        occurredAt: '2019-05-15T15:20:53.000Z',
      },
    ]);
  });

  it.each(['created', 'edited', 'prereleased', 'released', 'deleted'])(
    'a %s release is ignored so one release gives one event',
    (action) => {
      expect(normalizeGithubEvent('release', githubExample('release', action)).status).toBe(
        'ignored',
      );
    },
  );
});

describe('GitHub deliveries that are not tracked', () => {
  it('a ping is ignored with reason ping', () => {
    expect(normalizeGithubEvent('ping', githubExample('ping'))).toEqual({
      status: 'ignored',
      reason: 'ping',
    });
  });

  it('an event that is not tracked is ignored with its name in the reason', () => {
    expect(normalizeGithubEvent('issues', githubExample('issues'))).toEqual({
      status: 'ignored',
      reason: 'GitHub event "issues" is not tracked',
    });
  });

  it('a payload without a repository is ignored', () => {
    const payload = withChanges(githubExample('pull_request', 'opened'), (p) => {
      delete p.repository;
    });
    expect(normalizeGithubEvent('pull_request', payload)).toEqual({
      status: 'ignored',
      reason: 'payload has no repository.full_name of the form owner/name',
    });
  });

  it.each(['Hello-World', ' ', 'owner/', 'own er/name'])(
    'a payload whose repository.full_name is %j is ignored',
    (fullName) => {
      const payload = withChanges(githubExample('pull_request', 'opened'), (p) => {
        p.repository.full_name = fullName;
      });
      expect(normalizeGithubEvent('pull_request', payload).status).toBe('ignored');
    },
  );

  it('an action named like an Object.prototype member is ignored, not mapped', () => {
    const payload = withChanges(githubExample('pull_request', 'opened'), (p) => {
      p.action = 'constructor';
    });
    expect(normalizeGithubEvent('pull_request', payload).status).toBe('ignored');
    const status = withChanges(githubExample('deployment_status'), (p) => {
      p.deployment_status.state = 'toString';
    });
    expect(normalizeGithubEvent('deployment_status', status).status).toBe('ignored');
  });
});

describe('GitHub adapter robustness', () => {
  const TRACKED = [
    'create',
    'delete',
    'push',
    'pull_request',
    'workflow_run',
    'check_suite',
    'deployment',
    'deployment_status',
    'release',
  ];

  it('maps every example of every event in @octokit/webhooks-examples to valid events or a reason', () => {
    let mapped = 0;
    for (const [event, examples] of ALL_GITHUB_EXAMPLES) {
      for (const example of examples) {
        const result = normalizeGithubEvent(event, structuredClone(example));
        expectWellFormed(result);
        if (result.status === 'events') mapped += 1;
      }
    }
    expect(mapped).toBeGreaterThan(20);
  });

  it.each(TRACKED)('a %s delivery with a non-object payload is ignored', (event) => {
    for (const payload of [null, undefined, 'text', 42, [], [{}]]) {
      expect(normalizeGithubEvent(event, payload)).toEqual({
        status: 'ignored',
        reason: 'payload is not a JSON object',
      });
    }
  });

  it('never throws on arbitrary JSON, for any tracked event', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TRACKED), fc.jsonValue(), (event, payload) => {
        expectWellFormed(normalizeGithubEvent(event, payload));
      }),
      { numRuns: 500 },
    );
  });

  it('never throws when fields of a real payload are replaced by arbitrary values', () => {
    const cases = TRACKED.map((event) => [event, githubExample(event)] as const);
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.array(fc.tuple(fc.nat(), fc.jsonValue()), { maxLength: 5 }),
        ([event, example], replacements) => {
          const payload = structuredClone(example);
          replaceFields(payload, replacements);
          expectWellFormed(normalizeGithubEvent(event, payload));
        },
      ),
      { numRuns: 500 },
    );
  });
});
