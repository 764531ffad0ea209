import { describe, expect, it } from 'vitest';
import { findMergedPullRequests } from '../../../src/domain/references/find-merged-pull-requests.js';

const REPO = 'acme/shop';

describe('findMergedPullRequests', () => {
  it.each([
    ['GitHub merge commit', 'Merge pull request #7 from acme/int-003-x\n\nCloses INT-003', ['7']],
    ['GitHub squash merge', 'Webhook endpoints (#42)\n\n* Closes INT-003', ['42']],
    ['Gitea merge commit', "Merge pull request 'Webhooks' (#9) from int-003 into main", ['9']],
    ['Bitbucket', 'Merged in feature/INT-003 (pull request #12)\n\nCloses INT-003', ['12']],
    ['Azure DevOps', 'Merged PR 321: Webhook endpoints', ['321']],
    [
      'GitLab merge commit',
      "Merge branch 'int-003' into 'main'\n\nWebhooks\n\nSee merge request acme/shop!5",
      ['5'],
    ],
  ])('reads the PR a %s merges', (_forge, message, expected) => {
    expect(findMergedPullRequests([message], REPO)).toEqual(expected);
  });

  it('a GitLab merge request of another project is not this repository’s', () => {
    expect(
      findMergedPullRequests(["Merge branch 'x' into 'main'\n\nSee merge request other/p!5"], REPO),
    ).toEqual([]);
  });

  it('ordinary commits, issue numbers in the body and rebase merges name no PR', () => {
    expect(
      findMergedPullRequests(
        [
          'Fix the crash\n\nCloses INT-003 (#7)',
          'Add tests for #12',
          'Merge branch main into feature',
          '',
        ],
        REPO,
      ),
    ).toEqual([]);
  });

  it('several merges in one push give each number once', () => {
    expect(
      findMergedPullRequests(
        ['Merge pull request #7 from a/b', 'Other (#8)', 'Merge pull request #7 from a/b'],
        REPO,
      ),
    ).toEqual(['7', '8']);
  });
});
