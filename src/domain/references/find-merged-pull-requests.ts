// The pull requests a push to a branch merges, read from the messages forges write on merge
// commits: a push that merges PR #7 must not wait for #7 itself, whose `pr.merged` event may
// arrive after the push (`pullRequests: last`). Only the first line is read (the subject a forge
// writes), except for GitLab's trailer line; a rebase merge names no PR and is not recognised.

const SUBJECT_PATTERNS: readonly RegExp[] = [
  /^Merge pull request #(\d{1,9}) from /, // GitHub merge commit
  /\(#(\d{1,9})\)\s*$/, // GitHub squash merge, Gitea and Forgejo ("… (#7)")
  /^Merge pull request '.*' \(#(\d{1,9})\)/, // Gitea and Forgejo merge commit
  /\(pull request #(\d{1,9})\)\s*$/, // Bitbucket ("Merged in branch (pull request #7)")
  /^Merged PR (\d{1,9}):/, // Azure DevOps
];

/** GitLab's merge commit: `See merge request group/project!5`. */
const GITLAB_TRAILER = /^See merge request (\S{1,512})!(\d{1,9})\s*$/m;

/**
 * The numbers (as strings) of the PRs of `repository` that these commit messages say they merge.
 *
 * @example
 * findMergedPullRequests(['Merge pull request #7 from acme/int-003'], 'acme/shop') // → ['7']
 */
export function findMergedPullRequests(messages: readonly string[], repository: string): string[] {
  const numbers = new Set<string>();
  for (const message of messages) {
    const subject = message.split('\n', 1)[0] ?? '';
    for (const pattern of SUBJECT_PATTERNS) {
      const match = pattern.exec(subject);
      if (match?.[1] !== undefined) numbers.add(String(Number(match[1])));
    }
    const gitlab = GITLAB_TRAILER.exec(message.slice(0, 65_536));
    if (gitlab?.[1] === repository && gitlab[2] !== undefined)
      numbers.add(String(Number(gitlab[2])));
  }
  return [...numbers];
}
