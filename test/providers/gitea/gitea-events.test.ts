import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeGiteaEvent } from '../../../src/providers/gitea/gitea-events.js';
import { giteaFixture } from '../../support/gitea-webhooks.js';
import { eventsOf, expectWellFormed, kindsOf, replaceFields } from '../adapter-test-helpers.js';

const ZERO = '0000000000000000000000000000000000000000';
const BEFORE = '28e1879d029cb852e4844d9c718537df08844e03';
const AFTER = 'bffeb74224043ba2feb48d137756c8a9331c449a';
const GITEA = {
  provider: 'gitea',
  repository: 'gitea/webhooks',
  repositoryId: '140',
  defaultBranch: 'main',
  actor: 'gitea',
};

function fixture(name: string, change: (payload: any) => void = () => {}): any {
  const payload = giteaFixture(name);
  change(payload);
  return payload;
}

describe('Gitea push', () => {
  it('the documented push becomes push with its commit, the after sha and the compare page', () => {
    expect(eventsOf(normalizeGiteaEvent('push', fixture('push')))).toEqual([
      {
        kind: 'push',
        ...GITEA,
        branch: 'develop',
        sha: AFTER,
        commits: [{ sha: AFTER, message: 'Webhooks Yay!', author: 'Gitea' }],
        url: `http://localhost:3000/gitea/webhooks/compare/${BEFORE}...${AFTER}`,
      },
    ]);
  });

  it("Forgejo's documented push maps the same way, with Forgejo's repository", () => {
    const [event] = eventsOf(normalizeGiteaEvent('push', fixture('forgejo_push')));
    expect(event).toMatchObject({
      kind: 'push',
      provider: 'gitea',
      repository: 'forgejo/webhooks',
      defaultBranch: 'master',
      actor: 'forgejo',
      branch: 'develop',
      sha: AFTER,
    });
  });

  it('a push whose before sha is all zeros becomes branch.created then push', () => {
    const payload = fixture('push', (p) => {
      p.before = ZERO;
      p.ref = 'refs/heads/feature/STORY-7';
    });
    expect(eventsOf(normalizeGiteaEvent('push', payload))).toEqual([
      { kind: 'branch.created', ...GITEA, branch: 'feature/STORY-7', sha: AFTER },
      expect.objectContaining({ kind: 'push', branch: 'feature/STORY-7', sha: AFTER }),
    ]);
  });

  it('a push whose after sha is all zeros becomes branch.deleted with the last sha it had', () => {
    const payload = fixture('push', (p) => {
      p.after = ZERO;
      p.commits = [];
    });
    expect(eventsOf(normalizeGiteaEvent('push', payload))).toEqual([
      { kind: 'branch.deleted', ...GITEA, branch: 'develop', sha: BEFORE },
    ]);
  });

  it('a tag push is ignored', () => {
    const payload = fixture('push', (p) => {
      p.ref = 'refs/tags/v1.0.0';
    });
    expect(normalizeGiteaEvent('push', payload)).toEqual({
      status: 'ignored',
      reason: 'push to refs/tags/v1.0.0 is not a branch push',
    });
  });
});

describe('Gitea create and delete', () => {
  it('create of a branch (short ref, as Gitea sends it) becomes branch.created at its sha', () => {
    expect(eventsOf(normalizeGiteaEvent('create', fixture('create')))).toEqual([
      { kind: 'branch.created', ...GITEA, branch: 'develop', sha: AFTER },
    ]);
  });

  it("create with Forgejo's full refs/heads/ ref names the same branch", () => {
    const payload = fixture('create', (p) => {
      p.ref = 'refs/heads/develop';
    });
    expect(eventsOf(normalizeGiteaEvent('create', payload))[0]).toMatchObject({
      kind: 'branch.created',
      branch: 'develop',
    });
  });

  it('delete of a branch becomes branch.deleted', () => {
    expect(eventsOf(normalizeGiteaEvent('delete', fixture('delete')))).toEqual([
      { kind: 'branch.deleted', ...GITEA, branch: 'develop' },
    ]);
  });

  it('create and delete of a tag are ignored', () => {
    const tag = (p: any) => {
      p.ref_type = 'tag';
      p.ref = 'v1.0.0';
    };
    expect(normalizeGiteaEvent('create', fixture('create', tag))).toEqual({
      status: 'ignored',
      reason: 'create of a tag',
    });
    expect(kindsOf(normalizeGiteaEvent('delete', fixture('delete', tag)))).toBe('ignored');
  });
});

describe('Gitea pull_request', () => {
  const PR = {
    number: 2,
    title: 'Webhooks Yay!',
    body: '',
    source: 'develop',
    target: 'main',
    url: 'http://localhost:3000/gitea/webhooks/pulls/2',
    draft: false,
  };

  it('opened becomes pr.opened on the head branch and sha', () => {
    expect(eventsOf(normalizeGiteaEvent('pull_request', fixture('pull_request')))).toEqual([
      {
        kind: 'pr.opened',
        ...GITEA,
        branch: 'develop',
        sha: AFTER,
        pr: PR,
        url: PR.url,
        occurredAt: '2017-03-13T17:52:11.000Z',
      },
    ]);
  });

  it.each([
    ['reopened', 'pr.opened'],
    ['edited', 'pr.updated'],
    ['synchronized', 'pr.updated'],
  ])('%s becomes %s', (action, kind) => {
    const payload = fixture('pull_request', (p) => {
      p.action = action;
    });
    expect(kindsOf(normalizeGiteaEvent('pull_request', payload))).toEqual([kind]);
  });

  it('closed with merged: true becomes pr.merged at the merge commit and merge time', () => {
    const merge = 'a'.repeat(40);
    const payload = fixture('pull_request', (p) => {
      p.action = 'closed';
      p.pull_request.state = 'closed';
      p.pull_request.merged = true;
      p.pull_request.merge_commit_sha = merge;
      p.pull_request.merged_at = '2017-03-14T09:00:00+01:00';
      p.pull_request.closed_at = '2017-03-14T09:00:00+01:00';
    });
    expect(eventsOf(normalizeGiteaEvent('pull_request', payload))).toEqual([
      expect.objectContaining({
        kind: 'pr.merged',
        sha: merge,
        branch: 'develop',
        occurredAt: '2017-03-14T08:00:00.000Z',
      }),
    ]);
  });

  it('closed without merging becomes pr.closed', () => {
    const payload = fixture('pull_request', (p) => {
      p.action = 'closed';
      p.pull_request.closed_at = '2017-03-14T09:00:00+01:00';
    });
    expect(eventsOf(normalizeGiteaEvent('pull_request', payload))[0]).toMatchObject({
      kind: 'pr.closed',
      sha: AFTER,
      occurredAt: '2017-03-14T08:00:00.000Z',
    });
  });

  it('keeps draft from pull_request.draft where the forge sends it', () => {
    const payload = fixture('pull_request', (p) => {
      p.pull_request.draft = true;
    });
    expect(eventsOf(normalizeGiteaEvent('pull_request', payload))[0]?.pr?.draft).toBe(true);
  });

  it('a title starting with WIP: or [WIP] (any case) is a draft where the forge sends no draft flag', () => {
    for (const title of ['WIP: Webhooks Yay!', '[wip] Webhooks Yay!']) {
      const payload = fixture('pull_request', (p) => {
        p.pull_request.title = title;
      });
      expect(eventsOf(normalizeGiteaEvent('pull_request', payload))[0]?.pr?.draft).toBe(true);
    }
  });

  it('an edit that takes the WIP: prefix off the title becomes pr.ready', () => {
    const payload = fixture('pull_request', (p) => {
      p.action = 'edited';
      p.changes = { title: { from: 'WIP: Webhooks Yay!' } };
    });
    expect(eventsOf(normalizeGiteaEvent('pull_request', payload))[0]).toMatchObject({
      kind: 'pr.ready',
      pr: { draft: false, title: 'Webhooks Yay!' },
    });
    const body = fixture('pull_request', (p) => {
      p.action = 'edited';
      p.changes = { body: { from: 'old text' } };
    });
    expect(kindsOf(normalizeGiteaEvent('pull_request', body))).toEqual(['pr.updated']);
  });

  it.each(['assigned', 'label_updated', 'milestoned', 'review_requested', 'reviewed'])(
    'the %s action is ignored',
    (action) => {
      const payload = fixture('pull_request', (p) => {
        p.action = action;
      });
      expect(normalizeGiteaEvent('pull_request', payload)).toEqual({
        status: 'ignored',
        reason: `pull_request action "${action}" is not tracked`,
      });
    },
  );
});

describe('Gitea release', () => {
  it('published becomes release.published with its tag and page', () => {
    expect(eventsOf(normalizeGiteaEvent('release', fixture('release')))).toEqual([
      {
        kind: 'release.published',
        ...GITEA,
        tag: 'v1.0.0',
        release: {
          tag: 'v1.0.0',
          name: 'v1.0.0',
          url: 'http://localhost:3000/gitea/webhooks/releases/tag/v1.0.0',
        },
        url: 'http://localhost:3000/gitea/webhooks/releases/tag/v1.0.0',
        occurredAt: '2017-03-13T17:52:11.000Z',
      },
    ]);
  });

  it('updated and deleted are ignored, and so is a draft', () => {
    for (const action of ['updated', 'deleted']) {
      const payload = fixture('release', (p) => {
        p.action = action;
      });
      expect(kindsOf(normalizeGiteaEvent('release', payload))).toBe('ignored');
    }
    const draft = fixture('release', (p) => {
      p.release.draft = true;
    });
    expect(normalizeGiteaEvent('release', draft)).toEqual({
      status: 'ignored',
      reason: 'release is a draft',
    });
  });
});

describe('Gitea status', () => {
  it('a failure becomes pipeline.failed for the commit, keyed by context and sha', () => {
    expect(eventsOf(normalizeGiteaEvent('status', fixture('status')))).toEqual([
      {
        kind: 'pipeline.failed',
        ...GITEA,
        sha: AFTER,
        pipeline: {
          id: `ci/build@${AFTER}`,
          name: 'ci/build',
          url: 'http://localhost:3000/gitea/webhooks/actions/runs/7',
          status: 'failure',
        },
        url: 'http://localhost:3000/gitea/webhooks/actions/runs/7',
        occurredAt: '2017-03-13T17:55:00.000Z',
        sequence: 42,
      },
    ]);
  });

  it.each([
    ['pending', ['pipeline.started']],
    ['success', ['pipeline.succeeded']],
    ['error', ['pipeline.failed']],
    ['warning', 'ignored'],
  ])('state %s maps to %j', (state, kinds) => {
    const payload = fixture('status', (p) => {
      p.state = state;
    });
    expect(kindsOf(normalizeGiteaEvent('status', payload))).toEqual(kinds);
  });
});

describe('Gitea workflow_run', () => {
  it('completed with failure becomes pipeline.failed for the run on its branch', () => {
    expect(eventsOf(normalizeGiteaEvent('workflow_run', fixture('workflow_run')))).toEqual([
      {
        kind: 'pipeline.failed',
        ...GITEA,
        branch: 'develop',
        sha: AFTER,
        pipeline: {
          id: '7',
          name: 'build.yml',
          url: 'http://localhost:3000/gitea/webhooks/actions/runs/7',
          status: 'failure',
        },
        url: 'http://localhost:3000/gitea/webhooks/actions/runs/7',
        occurredAt: '2017-03-13T17:55:00.000Z',
        sequence: 1,
      },
    ]);
  });

  it.each([
    ['completed', 'success', ['pipeline.succeeded']],
    ['completed', 'cancelled', ['pipeline.failed']],
    ['completed', 'skipped', 'ignored'],
    ['requested', '', ['pipeline.started']],
    ['in_progress', '', ['pipeline.started']],
  ])('%s with conclusion "%s" maps to %j', (action, conclusion, kinds) => {
    const payload = fixture('workflow_run', (p) => {
      p.action = action;
      p.workflow_run.conclusion = conclusion;
    });
    expect(kindsOf(normalizeGiteaEvent('workflow_run', payload))).toEqual(kinds);
  });

  it("a run not started yet has Go's zero time, which is no time", () => {
    const payload = fixture('workflow_run', (p) => {
      p.action = 'requested';
      p.workflow_run.started_at = '0001-01-01T00:00:00Z';
    });
    expect(eventsOf(normalizeGiteaEvent('workflow_run', payload))[0]?.occurredAt).toBeUndefined();
  });
});

describe("Forgejo's action_run events", () => {
  it('action_run_failure becomes pipeline.failed from run.repository and run.commit_sha', () => {
    expect(
      eventsOf(normalizeGiteaEvent('action_run_failure', fixture('action_run_failure'))),
    ).toEqual([
      {
        kind: 'pipeline.failed',
        provider: 'gitea',
        repository: 'forgejo/webhooks',
        repositoryId: '140',
        defaultBranch: 'master',
        actor: 'forgejo',
        branch: 'develop',
        sha: AFTER,
        pipeline: {
          id: '7',
          name: 'build.yml',
          url: 'http://localhost:3000/forgejo/webhooks/actions/runs/7',
          status: 'failure',
        },
        url: 'http://localhost:3000/forgejo/webhooks/actions/runs/7',
        occurredAt: '2017-03-13T17:55:00.000Z',
      },
    ]);
  });

  it('action_run_success and action_run_recover become pipeline.succeeded', () => {
    for (const event of ['action_run_success', 'action_run_recover']) {
      const payload = fixture('action_run_failure', (p) => {
        p.action = event.slice('action_run_'.length);
        p.run.status = 'success';
      });
      expect(kindsOf(normalizeGiteaEvent(event, payload))).toEqual(['pipeline.succeeded']);
    }
  });

  it('a run for a pull request (prettyref #12) names no branch', () => {
    const payload = fixture('action_run_failure', (p) => {
      p.run.prettyref = '#12';
    });
    expect(eventsOf(normalizeGiteaEvent('action_run_failure', payload))[0]?.branch).toBeUndefined();
  });
});

describe('every Gitea delivery', () => {
  it('events the adapter does not track are ignored with their name', () => {
    expect(normalizeGiteaEvent('issues', fixture('push'))).toEqual({
      status: 'ignored',
      reason: 'Gitea event "issues" is not tracked',
    });
  });

  it('a payload without repository.full_name is ignored', () => {
    const payload = fixture('push', (p) => {
      delete p.repository.full_name;
    });
    expect(kindsOf(normalizeGiteaEvent('push', payload))).toBe('ignored');
  });

  const NAMES: Array<[string, string]> = [
    ['push', 'push'],
    ['forgejo_push', 'push'],
    ['create', 'create'],
    ['delete', 'delete'],
    ['pull_request', 'pull_request'],
    ['release', 'release'],
    ['status', 'status'],
    ['workflow_run', 'workflow_run'],
    ['action_run_failure', 'action_run_failure'],
  ];

  it('never throws and only emits schema-valid events, whatever fields are replaced', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.array(fc.tuple(fc.nat(), fc.jsonValue()), { maxLength: 6 }),
        ([name, event], replacements) => {
          const payload = giteaFixture(name);
          replaceFields(payload, replacements);
          expectWellFormed(normalizeGiteaEvent(event, payload));
        },
      ),
      { numRuns: 300 },
    );
  });
});
