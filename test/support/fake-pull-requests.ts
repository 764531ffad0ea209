// The pull requests (GitLab: merge requests) a fake forge keeps, for the write-back tests: opened,
// edited, merged or closed as the forge would, whatever shape its API gives them
// (fake-github-pulls.ts, fake-gitlab-merge-requests.ts, fake-forges.ts for Gitea).
export interface FakePullRequest {
  /** Its number (GitLab: iid), counted per fake from 1. */
  number: number;
  repository: string;
  head: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed' | 'merged';
}

export class FakePullRequests {
  readonly all: FakePullRequest[] = [];
  /** The next create is carried out, then answered 502, as a lost answer looks to the caller. */
  loseNextCreate = false;

  /** The open ones from `head` (into `base`, when given) in `repository`. */
  open(repository: string, head?: string, base?: string): FakePullRequest[] {
    return this.all.filter(
      (pull) =>
        pull.state === 'open' &&
        pull.repository === repository &&
        (head === undefined || pull.head === head) &&
        (base === undefined || pull.base === base),
    );
  }

  /** Opens one; a second open one from the same branches is refused, as every forge does. */
  create(fields: Omit<FakePullRequest, 'number' | 'state'>): FakePullRequest | 'exists' | 'lost' {
    if (this.open(fields.repository, fields.head, fields.base).length > 0) return 'exists';
    const pull: FakePullRequest = { ...fields, number: this.all.length + 1, state: 'open' };
    this.all.push(pull);
    if (this.loseNextCreate) {
      this.loseNextCreate = false;
      return 'lost';
    }
    return pull;
  }

  get(repository: string, number: number): FakePullRequest | undefined {
    return this.all.find((pull) => pull.repository === repository && pull.number === number);
  }

  /** What people do on the forge: merge it, or close it unmerged. */
  finish(number: number, state: 'merged' | 'closed'): void {
    const pull = this.all.find((candidate) => candidate.number === number);
    if (pull === undefined) throw new Error(`no pull request ${number}`);
    pull.state = state;
  }
}
