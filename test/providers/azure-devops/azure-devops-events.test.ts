import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeAzureDevopsEvent } from '../../../src/providers/azure-devops/azure-devops-events.js';
import {
  AZURE_DEVOPS_FIXTURES,
  type AzureDevopsFixtureName,
  azureBuild,
  azureDeployment,
  azureDevopsFixture,
  type Payload,
} from '../../support/azure-devops-webhooks.js';
import { eventsOf, expectWellFormed, kindsOf, replaceFields } from '../adapter-test-helpers.js';

const ZERO = '0000000000000000000000000000000000000000';

function fixture(
  name: AzureDevopsFixtureName,
  change: (payload: Payload) => void = () => {},
): Payload {
  const payload = azureDevopsFixture(name);
  change(payload);
  return payload;
}

const normalize = (payload: Payload) => normalizeAzureDevopsEvent(payload.eventType, payload);

describe('Azure DevOps git.push', () => {
  const PROJECT = {
    provider: 'azure-devops',
    repository: 'Project/Project',
    repositoryId: '7aa31685-abcf-40be-8c18-aaa45067d7bb',
    defaultBranch: 'main',
    actor: 'jsmith',
    occurredAt: '2016-06-26T18:10:30.065Z',
  };
  const COMMITS = [
    {
      sha: 'c8e823a60a85381732726d6a9b6a276e71e6ce12',
      message: 'A meaningful commit message.',
      author: 'John Smith',
    },
  ];

  it('the documented push becomes push with its commits and the new object id', () => {
    expect(eventsOf(normalize(fixture('git.push')))).toEqual([
      {
        kind: 'push',
        ...PROJECT,
        branch: 'main',
        sha: 'c8e823a60a85381732726d6a9b6a276e71e6ce12',
        commits: COMMITS,
      },
    ]);
  });

  it('a ref update from all zeros becomes branch.created then push', () => {
    const payload = fixture('git.push', (p) => {
      p.resource.refUpdates[0].name = 'refs/heads/feature/STORY-7';
      p.resource.refUpdates[0].oldObjectId = ZERO;
    });
    expect(kindsOf(normalize(payload))).toEqual(['branch.created', 'push']);
    expect(eventsOf(normalize(payload))[0]).toMatchObject({
      branch: 'feature/STORY-7',
      sha: 'c8e823a60a85381732726d6a9b6a276e71e6ce12',
    });
  });

  it('a ref update to all zeros becomes branch.deleted with the old object id', () => {
    const payload = fixture('git.push', (p) => {
      p.resource.refUpdates[0].newObjectId = ZERO;
    });
    expect(eventsOf(normalize(payload))).toEqual([
      expect.objectContaining({
        kind: 'branch.deleted',
        branch: 'main',
        sha: '61b7353aa151d2d7d4e4dac8f701b0d82ff87703',
      }),
    ]);
  });

  it('a push of a tag only is ignored; tags beside a branch are skipped', () => {
    const tagOnly = fixture('git.push', (p) => {
      p.resource.refUpdates[0].name = 'refs/tags/v1.0';
    });
    expect(normalize(tagOnly)).toMatchObject({ status: 'ignored' });
    const both = fixture('git.push', (p) => {
      p.resource.refUpdates.push({ ...p.resource.refUpdates[0], name: 'refs/tags/v1.0' });
    });
    expect(kindsOf(normalize(both))).toEqual(['push']);
  });

  it('a push whose repository has no project name is ignored', () => {
    const payload = fixture('git.push', (p) => {
      delete p.resource.repository.project;
    });
    expect(normalize(payload)).toMatchObject({ status: 'ignored' });
  });

  it('a project name with spaces is written %20, as in Azure DevOps URLs', () => {
    const payload = fixture('git.push', (p) => {
      p.resource.repository.project.name = 'Fabrikam Fiber';
      p.resource.repository.name = 'Web App';
    });
    expect(eventsOf(normalize(payload))[0]?.repository).toBe('Fabrikam%20Fiber/Web%20App');
  });
});

describe('Azure DevOps pull requests', () => {
  const FABRIKAM = {
    provider: 'azure-devops',
    repository: 'Fabrikam/Fabrikam',
    repositoryId: '4bc14d40-c903-45e2-872e-0462c7748079',
    defaultBranch: 'main',
    actor: 'fabrikamfiber4@hotmail.com',
  };
  const PR = {
    number: 1,
    title: 'my first pull request',
    body: ' - test2\r\n',
    source: 'mytopic',
    target: 'main',
    url: 'https://fabrikam.visualstudio.com/DefaultCollection/_git/Fabrikam/pullrequest/1',
    draft: false,
  };

  it('git.pullrequest.created becomes pr.opened at the source commit', () => {
    expect(eventsOf(normalize(fixture('git.pullrequest.created')))).toEqual([
      {
        kind: 'pr.opened',
        ...FABRIKAM,
        branch: 'mytopic',
        sha: '53d54ac915144006c2c9e90d2c7d3880920db49c',
        pr: PR,
        url: PR.url,
        occurredAt: '2014-06-17T16:55:46.589Z',
      },
    ]);
  });

  it('a draft pull request keeps isDraft', () => {
    const payload = fixture('git.pullrequest.created', (p) => {
      p.resource.isDraft = true;
    });
    expect(eventsOf(normalize(payload))[0]?.pr?.draft).toBe(true);
  });

  it('git.pullrequest.updated with status completed (the example) becomes pr.merged at the merge commit', () => {
    expect(eventsOf(normalize(fixture('git.pullrequest.updated')))).toEqual([
      {
        kind: 'pr.merged',
        ...FABRIKAM,
        branch: 'mytopic',
        sha: 'eef717f69257a6333f221566c1c987dc94cc0d72',
        pr: PR,
        url: PR.url,
        occurredAt: '2014-06-30T18:59:12.366Z',
      },
    ]);
  });

  it('git.pullrequest.merged of a completed pull request becomes pr.merged', () => {
    expect(kindsOf(normalize(fixture('git.pullrequest.merged')))).toEqual(['pr.merged']);
    expect(eventsOf(normalize(fixture('git.pullrequest.merged')))[0]?.sha).toBe(
      'eef717f69257a6333f221566c1c987dc94cc0d72',
    );
  });

  it('git.pullrequest.merged of an active pull request (a trial merge) is ignored', () => {
    const payload = fixture('git.pullrequest.merged', (p) => {
      p.resource.status = 'active';
    });
    expect(normalize(payload)).toEqual({
      status: 'ignored',
      reason: 'merge commit of a pull request that is "active" (a trial merge, nothing merged)',
    });
  });

  it('git.pullrequest.updated: active → pr.updated, abandoned → pr.closed, other → ignored', () => {
    const withStatus = (status: string) =>
      normalize(
        fixture('git.pullrequest.updated', (p) => {
          p.resource.status = status;
        }),
      );
    expect(kindsOf(withStatus('active'))).toEqual(['pr.updated']);
    expect(eventsOf(withStatus('active'))[0]?.sha).toBe('53d54ac915144006c2c9e90d2c7d3880920db49c');
    expect(kindsOf(withStatus('abandoned'))).toEqual(['pr.closed']);
    expect(withStatus('notSet')).toMatchObject({ status: 'ignored' });
  });

  it('a pull request without a source branch ref is ignored', () => {
    const payload = fixture('git.pullrequest.created', (p) => {
      p.resource.sourceRefName = 'refs/tags/v1';
    });
    expect(normalize(payload)).toMatchObject({ status: 'ignored' });
  });
});

describe('Azure DevOps build.complete', () => {
  it('the documented 1.0 example names no project or repository: ignored', () => {
    expect(normalize(fixture('build.complete'))).toEqual({
      status: 'ignored',
      reason:
        'build names no project and repository (resource.project.name, resource.repository.name)',
    });
  });

  it('a failed build becomes pipeline.failed on its branch and commit', () => {
    const sha = 'a'.repeat(40);
    expect(eventsOf(normalize(azureBuild('failed', { id: 31, branch: 'topic', sha })))).toEqual([
      {
        kind: 'pipeline.failed',
        provider: 'azure-devops',
        repository: 'Fabrikam/Fabrikam',
        repositoryId: '4bc14d40-c903-45e2-872e-0462c7748079',
        branch: 'topic',
        sha,
        pipeline: { id: '31', name: 'ConsumerAddressModule', status: 'failed' },
        occurredAt: '2015-04-07T18:06:10.690Z',
      },
    ]);
  });

  it('succeeded → pipeline.succeeded; partiallySucceeded, canceled → pipeline.failed', () => {
    const build = (result: 'succeeded' | 'partiallySucceeded' | 'canceled') =>
      normalize(azureBuild(result, { id: 1, branch: 'topic', sha: 'b'.repeat(40) }));
    expect(kindsOf(build('succeeded'))).toEqual(['pipeline.succeeded']);
    expect(kindsOf(build('partiallySucceeded'))).toEqual(['pipeline.failed']);
    expect(eventsOf(build('partiallySucceeded'))[0]?.pipeline?.status).toBe('partiallySucceeded');
    expect(kindsOf(build('canceled'))).toEqual(['pipeline.failed']);
  });

  it('the 1.0 status and sourceGetVersion are read when result and sourceBranch are absent', () => {
    const payload = azureBuild('succeeded', { id: 2, branch: 'x', sha: 'c'.repeat(40) });
    delete payload.resource.result;
    delete payload.resource.sourceBranch;
    delete payload.resource.sourceVersion;
    payload.resource.status = 'failed';
    payload.resource.sourceGetVersion = `LG:refs/heads/main:${'d'.repeat(40)}`;
    expect(eventsOf(normalize(payload))[0]).toMatchObject({
      kind: 'pipeline.failed',
      branch: 'main',
      sha: 'd'.repeat(40),
    });
  });

  it('a pull request build (refs/pull/…/merge) has no branch', () => {
    const payload = azureBuild('failed', { id: 3, branch: 'x', sha: 'e'.repeat(40) });
    payload.resource.sourceBranch = 'refs/pull/1/merge';
    expect(eventsOf(normalize(payload))[0]?.branch).toBeUndefined();
  });
});

describe('Azure DevOps release deployments', () => {
  it('the documented example names no repository: ignored', () => {
    expect(normalize(fixture('ms.vss-release.deployment-completed-event'))).toMatchObject({
      status: 'ignored',
    });
  });

  it('a succeeded deployment of a release whose artifact names its source → deployment.succeeded', () => {
    const sha = 'f'.repeat(40);
    const payload = azureDeployment('succeeded', {
      environment: 'production',
      environmentId: 9,
      sha,
    });
    expect(eventsOf(normalize(payload))).toEqual([
      {
        kind: 'deployment.succeeded',
        provider: 'azure-devops',
        repository: 'Fabrikam/Fabrikam',
        repositoryId: '4bc14d40-c903-45e2-872e-0462c7748079',
        branch: 'main',
        sha,
        environment: 'production',
        deployment: { id: '9', status: 'succeeded' },
        occurredAt: '2016-01-21T08:19:17.260Z',
      },
    ]);
  });

  it('rejected, canceled, partiallySucceeded → deployment.failed; started → deployment.started', () => {
    for (const status of ['rejected', 'canceled', 'partiallySucceeded'] as const) {
      const payload = azureDeployment(status, {
        environment: 'production',
        environmentId: 9,
        sha: '1'.repeat(40),
      });
      expect(kindsOf(normalize(payload)), status).toEqual(['deployment.failed']);
    }
    const started = azureDeployment('succeeded', {
      environment: 'staging',
      environmentId: 4,
      sha: '2'.repeat(40),
    });
    started.eventType = 'ms.vss-release.deployment-started-event';
    started.resource.environment.status = 'queued';
    expect(kindsOf(normalize(started))).toEqual(['deployment.started']);
  });

  it('the artifact keys as documented in capitals (Project) are read too', () => {
    const payload = azureDeployment('succeeded', {
      environment: 'production',
      environmentId: 9,
      sha: '3'.repeat(40),
    });
    const reference = payload.resource.release.artifacts[0].definitionReference;
    reference.Project = reference.project;
    delete reference.project;
    expect(eventsOf(normalize(payload))[0]?.repository).toBe('Fabrikam/Fabrikam');
  });
});

describe('Azure DevOps: other events', () => {
  it('the run state changed example is ignored with a reason pointing at build.complete', () => {
    expect(normalize(fixture('ms.vss-pipelines.run-state-changed-event'))).toMatchObject({
      status: 'ignored',
      reason: expect.stringContaining('build.complete'),
    });
  });

  it('an event type not tracked is ignored, and so is a body that is not an object', () => {
    expect(normalizeAzureDevopsEvent('workitem.updated', {})).toMatchObject({ status: 'ignored' });
    expect(normalizeAzureDevopsEvent('git.push', [])).toMatchObject({ status: 'ignored' });
  });

  it('every fixture, with any fields replaced by hostile values, gives a well-formed result', () => {
    const hostile = fc.oneof(
      fc.constant(null),
      fc.constant('constructor'),
      fc.constant('__proto__'),
      fc.integer(),
      fc.string(),
      fc.constant({}),
      fc.constant([]),
      fc.constant(ZERO),
      fc.constant('refs/heads/'),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...AZURE_DEVOPS_FIXTURES),
        fc.array(fc.tuple(fc.nat(), hostile), { maxLength: 8 }),
        (name, replacements) => {
          const payload = azureDevopsFixture(name);
          replaceFields(payload, replacements);
          expectWellFormed(normalizeAzureDevopsEvent(name, payload));
        },
      ),
      { numRuns: 300 },
    );
  });
});
