import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeGitlabEvent } from '../../../src/providers/gitlab/gitlab-events.js';
import { eventsOf, expectWellFormed, kindsOf, replaceFields } from '../adapter-test-helpers.js';
import {
  GITLAB_FIXTURES,
  type GitlabFixtureName,
  gitlabFixture,
  type Payload,
} from './gitlab-fixtures.js';

const ZERO = '0000000000000000000000000000000000000000';

function fixture(name: GitlabFixtureName, change: (payload: Payload) => void = () => {}): Payload {
  const payload = gitlabFixture(name);
  change(payload);
  return payload;
}

describe('GitLab Push Hook', () => {
  const DIASPORA = {
    provider: 'gitlab',
    repository: 'mike/diaspora',
    repositoryId: '15',
    defaultBranch: 'master',
    actor: 'jsmith',
  };
  const COMMITS = [
    {
      sha: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
      message:
        'Update Catalan translation to e38cb41.\n\nSee https://gitlab.com/gitlab-org/gitlab for more information',
      author: 'Jordi Mallach',
    },
    {
      sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      message: 'fixed readme',
      author: 'GitLab dev user',
    },
  ];

  it('a branch push becomes push with its commits and the after sha', () => {
    expect(eventsOf(normalizeGitlabEvent('Push Hook', fixture('push')))).toEqual([
      {
        kind: 'push',
        ...DIASPORA,
        branch: 'master',
        sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        commits: COMMITS,
      },
    ]);
  });

  it('a push whose before sha is all zeros becomes branch.created then push', () => {
    const payload = fixture('push', (p) => {
      p.before = ZERO;
      p.ref = 'refs/heads/feature/STORY-7';
    });
    const events = eventsOf(normalizeGitlabEvent('Push Hook', payload));
    expect(events).toEqual([
      {
        kind: 'branch.created',
        ...DIASPORA,
        branch: 'feature/STORY-7',
        sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      },
      expect.objectContaining({ kind: 'push', branch: 'feature/STORY-7', commits: COMMITS }),
    ]);
  });

  it('a push whose after sha is all zeros becomes branch.deleted with the last sha it had', () => {
    const payload = fixture('push', (p) => {
      p.after = ZERO;
      p.checkout_sha = null;
      p.commits = [];
      p.total_commits_count = 0;
    });
    expect(eventsOf(normalizeGitlabEvent('Push Hook', payload))).toEqual([
      {
        kind: 'branch.deleted',
        ...DIASPORA,
        branch: 'master',
        sha: '95790bf891e76fee5e1747ab589903a6a1f80f22',
      },
    ]);
  });

  it('recognises the all-zero sha of SHA-256 repositories', () => {
    const payload = fixture('push', (p) => {
      p.before = '0'.repeat(64);
    });
    expect(kindsOf(normalizeGitlabEvent('Push Hook', payload))).toEqual(['branch.created', 'push']);
  });

  it('a Push Hook for a ref outside refs/heads is ignored', () => {
    const payload = fixture('push', (p) => {
      p.ref = 'refs/tags/v1';
    });
    expect(normalizeGitlabEvent('Push Hook', payload)).toEqual({
      status: 'ignored',
      reason: 'push to refs/tags/v1 is not a branch push',
    });
  });

  it('a System Hook with a push payload maps like the project Push Hook', () => {
    expect(normalizeGitlabEvent('System Hook', fixture('push'))).toEqual(
      normalizeGitlabEvent('Push Hook', fixture('push')),
    );
  });
});

describe('GitLab Tag Push Hook', () => {
  it('a tag push is ignored because tags are tracked through releases', () => {
    expect(normalizeGitlabEvent('Tag Push Hook', fixture('tag_push'))).toEqual({
      status: 'ignored',
      reason: 'tag pushes are not tracked; a tag is tracked through its release',
    });
  });
});

describe('GitLab Merge Request Hook', () => {
  const PROJECT = {
    provider: 'gitlab',
    repository: 'gitlabhq/gitlab-test',
    repositoryId: '1',
    defaultBranch: 'master',
    actor: 'root',
  };
  const MR = {
    number: 1,
    title: 'MS-Viewport',
    body: '',
    source: 'ms-viewport',
    target: 'master',
    url: 'http://example.com/diaspora/merge_requests/1',
    draft: false,
  };
  const LAST_COMMIT = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
  const withAction = (action: string, change: (payload: Payload) => void = () => {}) =>
    fixture('merge_request', (p) => {
      p.object_attributes.action = action;
      change(p);
    });

  it('an opened merge request becomes pr.opened with source, target, iid and last commit', () => {
    expect(eventsOf(normalizeGitlabEvent('Merge Request Hook', fixture('merge_request')))).toEqual([
      {
        kind: 'pr.opened',
        ...PROJECT,
        branch: 'ms-viewport',
        sha: LAST_COMMIT,
        pr: MR,
        url: MR.url,
        occurredAt: '2013-12-03T17:23:34.000Z',
      },
    ]);
  });

  it('a reopened merge request becomes pr.opened', () => {
    expect(kindsOf(normalizeGitlabEvent('Merge Request Hook', withAction('reopen')))).toEqual([
      'pr.opened',
    ]);
  });

  it('a merge request opened as draft keeps the draft flag', () => {
    const payload = withAction('open', (p) => {
      p.object_attributes.draft = true;
      p.object_attributes.work_in_progress = true;
    });
    const [event] = eventsOf(normalizeGitlabEvent('Merge Request Hook', payload));
    expect(event?.pr?.draft).toBe(true);
  });

  it('reads the draft flag from work_in_progress on GitLab versions without draft', () => {
    const payload = withAction('open', (p) => {
      delete p.object_attributes.draft;
      p.object_attributes.work_in_progress = true;
    });
    const [event] = eventsOf(normalizeGitlabEvent('Merge Request Hook', payload));
    expect(event?.pr?.draft).toBe(true);
  });

  it('an update that flips draft from true to false becomes pr.ready', () => {
    // The fixture's changes already carry draft: { previous: true, current: false }.
    expect(eventsOf(normalizeGitlabEvent('Merge Request Hook', withAction('update')))).toEqual([
      expect.objectContaining({ kind: 'pr.ready', pr: MR }),
    ]);
  });

  it('an update that flips work_in_progress from true to false becomes pr.ready', () => {
    const payload = withAction('update', (p) => {
      p.changes = { work_in_progress: { previous: true, current: false } };
    });
    expect(kindsOf(normalizeGitlabEvent('Merge Request Hook', payload))).toEqual(['pr.ready']);
  });

  it('an update that marks the merge request as draft becomes pr.updated with draft true', () => {
    const payload = withAction('update', (p) => {
      p.object_attributes.draft = true;
      p.changes = { draft: { previous: false, current: true } };
    });
    expect(eventsOf(normalizeGitlabEvent('Merge Request Hook', payload))).toEqual([
      expect.objectContaining({ kind: 'pr.updated', pr: { ...MR, draft: true } }),
    ]);
  });

  it('an update with new commits (oldrev) becomes pr.updated with the new head', () => {
    const payload = withAction('update', (p) => {
      p.changes = { updated_at: { previous: 'a', current: 'b' } };
      p.object_attributes.oldrev = '95790bf891e76fee5e1747ab589903a6a1f80f22';
    });
    expect(eventsOf(normalizeGitlabEvent('Merge Request Hook', payload))).toEqual([
      expect.objectContaining({ kind: 'pr.updated', sha: LAST_COMMIT }),
    ]);
  });

  it.each(['title', 'description', 'target_branch'])(
    'an update that changes the %s becomes pr.updated',
    (key) => {
      const payload = withAction('update', (p) => {
        p.changes = { [key]: { previous: 'old', current: 'new' } };
      });
      expect(kindsOf(normalizeGitlabEvent('Merge Request Hook', payload))).toEqual(['pr.updated']);
    },
  );

  it('an update that only changes labels is ignored, like a labeled pull request on GitHub', () => {
    const payload = withAction('update', (p) => {
      p.changes = { labels: p.changes.labels, updated_at: p.changes.updated_at };
    });
    expect(normalizeGitlabEvent('Merge Request Hook', payload)).toEqual({
      status: 'ignored',
      reason: 'merge request update changes nothing tracked (labels, updated_at)',
    });
  });

  it('a merged merge request becomes pr.merged with the merge commit sha', () => {
    const payload = withAction('merge', (p) => {
      p.object_attributes.state = 'merged';
      p.object_attributes.merge_commit_sha = 'f7a9c2d2c1f8b8a8f1e1b0f6c0c1b3b7c7e4d2a1';
      p.object_attributes.merge_user_id = 1;
      p.object_attributes.head_pipeline_id = 31;
      p.changes = { state_id: { previous: 1, current: 3 } };
    });
    expect(eventsOf(normalizeGitlabEvent('Merge Request Hook', payload))).toEqual([
      {
        kind: 'pr.merged',
        ...PROJECT,
        branch: 'ms-viewport',
        sha: 'f7a9c2d2c1f8b8a8f1e1b0f6c0c1b3b7c7e4d2a1',
        pr: MR,
        url: MR.url,
        occurredAt: '2013-12-03T17:23:34.000Z',
      },
    ]);
  });

  it('a squash-merged merge request without merge commit uses the squash commit sha', () => {
    const payload = withAction('merge', (p) => {
      p.object_attributes.merge_commit_sha = null;
      p.object_attributes.squash_commit_sha = '1111111111111111111111111111111111111111';
    });
    const [event] = eventsOf(normalizeGitlabEvent('Merge Request Hook', payload));
    expect(event?.sha).toBe('1111111111111111111111111111111111111111');
  });

  it('a fast-forward merged merge request falls back to the last commit sha', () => {
    const payload = withAction('merge', (p) => {
      p.object_attributes.merge_commit_sha = null;
    });
    const [event] = eventsOf(normalizeGitlabEvent('Merge Request Hook', payload));
    expect(event).toMatchObject({ kind: 'pr.merged', sha: LAST_COMMIT });
  });

  it('a closed merge request becomes pr.closed', () => {
    expect(kindsOf(normalizeGitlabEvent('Merge Request Hook', withAction('close')))).toEqual([
      'pr.closed',
    ]);
  });

  it('reads GitLab spaced UTC timestamps into ISO form', () => {
    const payload = withAction('close', (p) => {
      p.object_attributes.updated_at = '2017-09-15 16:52:00 UTC';
    });
    const [event] = eventsOf(normalizeGitlabEvent('Merge Request Hook', payload));
    expect(event?.occurredAt).toBe('2017-09-15T16:52:00.000Z');
  });

  it.each(['approved', 'unapproved', 'approval', 'unapproval'])(
    'an %s merge request is ignored',
    (action) => {
      expect(normalizeGitlabEvent('Merge Request Hook', withAction(action))).toEqual({
        status: 'ignored',
        reason: `merge request action "${action}" is not tracked`,
      });
    },
  );

  it('a merge request without a source branch is ignored, not thrown', () => {
    const payload = withAction('open', (p) => {
      delete p.object_attributes.source_branch;
    });
    expect(normalizeGitlabEvent('Merge Request Hook', payload).status).toBe('ignored');
  });
});

describe('GitLab Pipeline Hook', () => {
  const withStatus = (status: string, change: (payload: Payload) => void = () => {}) =>
    fixture('pipeline', (p) => {
      p.object_attributes.status = status;
      change(p);
    });

  it('a successful pipeline becomes pipeline.succeeded with id, name, url and sha', () => {
    expect(eventsOf(normalizeGitlabEvent('Pipeline Hook', fixture('pipeline')))).toEqual([
      {
        kind: 'pipeline.succeeded',
        provider: 'gitlab',
        repository: 'gitlab-org/gitlab-test',
        repositoryId: '1',
        defaultBranch: 'master',
        actor: 'root',
        branch: 'master',
        sha: 'bcbb5ec396a2c0f828686f14fac9b80b780504f2',
        pipeline: {
          id: '31',
          name: 'Pipeline for branch: master',
          url: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31',
          status: 'success',
        },
        url: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31',
        occurredAt: '2016-08-12T15:26:29.000Z',
      },
    ]);
  });

  it.each([
    ['pending', 'pipeline.started'],
    ['running', 'pipeline.started'],
    ['failed', 'pipeline.failed'],
    ['canceled', 'pipeline.failed'],
  ])('a %s pipeline becomes %s and keeps the status', (status, kind) => {
    const [event] = eventsOf(normalizeGitlabEvent('Pipeline Hook', withStatus(status)));
    expect(event).toMatchObject({ kind, pipeline: { status } });
  });

  it('a running pipeline takes its time from created_at when it has not finished', () => {
    const payload = withStatus('running', (p) => {
      p.object_attributes.finished_at = null;
    });
    const [event] = eventsOf(normalizeGitlabEvent('Pipeline Hook', payload));
    expect(event?.occurredAt).toBe('2016-08-12T15:23:28.000Z');
  });

  it.each([
    'created',
    'waiting_for_resource',
    'preparing',
    'scheduled',
    'manual',
    'skipped',
    'canceling',
  ])('a %s pipeline is ignored', (status) => {
    expect(normalizeGitlabEvent('Pipeline Hook', withStatus(status))).toEqual({
      status: 'ignored',
      reason: `pipeline status "${status}" is not tracked`,
    });
  });

  it('a pipeline for a tag sets tag instead of branch', () => {
    const payload = withStatus('success', (p) => {
      p.object_attributes.tag = true;
      p.object_attributes.ref = 'v1.0.0';
    });
    const [event] = eventsOf(normalizeGitlabEvent('Pipeline Hook', payload));
    expect(event?.tag).toBe('v1.0.0');
    expect(event?.branch).toBeUndefined();
  });

  it('a merge request pipeline on refs/merge-requests uses the source branch', () => {
    const payload = withStatus('success', (p) => {
      p.object_attributes.ref = 'refs/merge-requests/1/head';
    });
    const [event] = eventsOf(normalizeGitlabEvent('Pipeline Hook', payload));
    expect(event?.branch).toBe('test');
  });

  it('a pipeline without a name leaves the name out', () => {
    const payload = withStatus('success', (p) => {
      p.object_attributes.name = null;
    });
    const [event] = eventsOf(normalizeGitlabEvent('Pipeline Hook', payload));
    expect(event?.pipeline).not.toHaveProperty('name');
  });
});

describe('GitLab Job Hook', () => {
  it('a job event is ignored because pipeline and deployment hooks carry the outcome', () => {
    expect(normalizeGitlabEvent('Job Hook', fixture('job'))).toEqual({
      status: 'ignored',
      reason: 'job events are not tracked; Pipeline and Deployment Hooks are',
    });
  });
});

describe('GitLab Deployment Hook', () => {
  const withStatus = (status: string) =>
    fixture('deployment', (p) => {
      p.status = status;
    });

  it('a successful deployment becomes deployment.succeeded with the sha from commit_url', () => {
    expect(eventsOf(normalizeGitlabEvent('Deployment Hook', fixture('deployment')))).toEqual([
      {
        kind: 'deployment.succeeded',
        provider: 'gitlab',
        repository: 'root/test-deployment-webhooks',
        repositoryId: '30',
        defaultBranch: 'master',
        actor: 'root',
        sha: '279484c09fbe69ededfced8c1bb6e6d24616b468',
        environment: 'staging',
        deployment: { id: '15', status: 'success', environmentUrl: 'https://staging.example.com' },
        url: 'http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796',
        occurredAt: '2021-04-28T19:50:00.000Z', // "2021-04-28 21:50:00 +0200"
      },
    ]);
  });

  it.each([
    ['running', 'deployment.started'],
    ['failed', 'deployment.failed'],
    ['canceled', 'deployment.failed'],
  ])('a %s deployment becomes %s and keeps the status', (status, kind) => {
    const [event] = eventsOf(normalizeGitlabEvent('Deployment Hook', withStatus(status)));
    expect(event).toMatchObject({ kind, deployment: { status } });
  });

  it.each(['created', 'blocked'])('a %s deployment is ignored', (status) => {
    expect(normalizeGitlabEvent('Deployment Hook', withStatus(status)).status).toBe('ignored');
  });

  it('a deployment with a ref sets the branch', () => {
    const payload = fixture('deployment', (p) => {
      p.ref = 'main';
    });
    const [event] = eventsOf(normalizeGitlabEvent('Deployment Hook', payload));
    expect(event?.branch).toBe('main');
  });

  it('a deployment without a commit_url has no sha rather than a short one', () => {
    const payload = fixture('deployment', (p) => {
      p.commit_url = null;
    });
    const [event] = eventsOf(normalizeGitlabEvent('Deployment Hook', payload));
    expect(event).not.toHaveProperty('sha');
  });
});

describe('GitLab Release Hook', () => {
  it('a created release becomes release.published with tag, name, url and commit', () => {
    expect(eventsOf(normalizeGitlabEvent('Release Hook', fixture('release')))).toEqual([
      {
        kind: 'release.published',
        provider: 'gitlab',
        repository: 'gitlab-org/release-webhook-example',
        repositoryId: '2',
        defaultBranch: 'master',
        tag: 'v1.1',
        sha: 'ee0a3fb31ac16e11b9dbb596ad16d4af654d08f8',
        release: {
          tag: 'v1.1',
          name: 'v1.1',
          url: 'https://example.com/gitlab-org/release-webhook-example/-/releases/v1.1',
        },
        url: 'https://example.com/gitlab-org/release-webhook-example/-/releases/v1.1',
        occurredAt: '2020-11-02T12:55:12.000Z',
      },
    ]);
  });

  it.each(['update', 'delete'])('a release %s is ignored', (action) => {
    const payload = fixture('release', (p) => {
      p.action = action;
    });
    expect(normalizeGitlabEvent('Release Hook', payload)).toEqual({
      status: 'ignored',
      reason: `release action "${action}" is not tracked`,
    });
  });
});

describe('GitLab deliveries that are not tracked', () => {
  it.each(['note_commit', 'note_merge_request', 'note_issue', 'note_snippet'] as const)(
    'a Note Hook (%s) is ignored',
    (name) => {
      expect(normalizeGitlabEvent('Note Hook', fixture(name))).toEqual({
        status: 'ignored',
        reason: 'GitLab event "Note Hook" is not tracked',
      });
    },
  );

  it('a payload whose object_kind contradicts the header is ignored', () => {
    expect(normalizeGitlabEvent('Push Hook', fixture('merge_request'))).toEqual({
      status: 'ignored',
      reason: 'Push Hook payload has object_kind "merge_request"',
    });
  });

  it('a System Hook for an object kind without a project hook mapping is ignored', () => {
    expect(normalizeGitlabEvent('System Hook', fixture('pipeline'))).toEqual({
      status: 'ignored',
      reason: 'system hook object_kind "pipeline" is not tracked',
    });
  });

  it('a payload without project.path_with_namespace is ignored', () => {
    const payload = fixture('push', (p) => {
      delete p.project;
    });
    expect(normalizeGitlabEvent('Push Hook', payload)).toEqual({
      status: 'ignored',
      reason: 'payload has no project.path_with_namespace of the form group/project',
    });
  });

  it('a header named like an Object.prototype member is ignored', () => {
    expect(normalizeGitlabEvent('constructor', fixture('push')).status).toBe('ignored');
    const status = fixture('pipeline', (p) => {
      p.object_attributes.status = 'hasOwnProperty';
    });
    expect(normalizeGitlabEvent('Pipeline Hook', status).status).toBe('ignored');
  });
});

describe('GitLab adapter robustness', () => {
  const HOOKS = Object.entries(GITLAB_FIXTURES) as Array<[GitlabFixtureName, string]>;

  it('maps every fixture to valid events or a reason', () => {
    for (const [name, header] of HOOKS)
      expectWellFormed(normalizeGitlabEvent(header, fixture(name)));
  });

  it('a delivery with a non-object payload is ignored', () => {
    for (const payload of [null, undefined, 'text', 42, [], [{}]]) {
      expect(normalizeGitlabEvent('Push Hook', payload)).toEqual({
        status: 'ignored',
        reason: 'payload is not a JSON object',
      });
    }
  });

  it('never throws on arbitrary JSON, for any hook', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HOOKS.map(([, header]) => header)),
        fc.jsonValue(),
        (header, payload) => {
          expectWellFormed(normalizeGitlabEvent(header, payload));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws when fields of a real payload are replaced by arbitrary values', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...HOOKS),
        fc.array(fc.tuple(fc.nat(), fc.jsonValue()), { maxLength: 5 }),
        ([name, header], replacements) => {
          const payload = fixture(name);
          replaceFields(payload, replacements);
          expectWellFormed(normalizeGitlabEvent(header, payload));
        },
      ),
      { numRuns: 500 },
    );
  });
});
