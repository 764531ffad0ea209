// The `pull-request` outbox kind, the same on every forge (docs/git-sync.md): look for the open
// pull request from the updates branch into the tracked branch; edit its title and body when
// there is one, else open one. Looking first on every send keeps it idempotent without the
// comments' create-in-doubt mark: a create whose answer was lost (a timeout, a crash) is found
// by the next send and edited, and a pull request merged or closed since is not found, so the
// next write-back opens a new one.
import type { SendResult } from './forge-client.js';

/** A pull request as a forge answers it: its number (GitLab: iid) and web address. */
export interface ForgePullRequest {
  number: string;
  url: string | null;
}

/** A call's outcome: the pull request it found or made, or why not (the sender's classes). */
export type PullRequestAnswer =
  | { kind: 'found'; pullRequest: ForgePullRequest | null }
  | Exclude<SendResult, { kind: 'sent' }>;

export interface PullRequestApi {
  /** The open pull request from the payload's head into its base, or null. */
  findOpen(): Promise<PullRequestAnswer>;
  create(): Promise<PullRequestAnswer>;
  update(number: string): Promise<PullRequestAnswer>;
}

export async function openOrUpdatePullRequest(api: PullRequestApi): Promise<SendResult> {
  const found = await api.findOpen();
  if (found.kind !== 'found') return found;
  const done =
    found.pullRequest === null ? await api.create() : await api.update(found.pullRequest.number);
  if (done.kind !== 'found') return done;
  // A forge that answered without the pull request: what was found stands for it.
  const pullRequest = done.pullRequest ?? found.pullRequest;
  return {
    kind: 'sent',
    remoteId: pullRequest?.number ?? null,
    remoteUrl: pullRequest?.url ?? null,
  };
}

/** The number and web address of a forge's pull request answer (`numberKey`: GitLab's iid). */
export function pullRequestOf(
  answer: unknown,
  numberKey: 'number' | 'iid',
  urlKey: 'html_url' | 'web_url',
): ForgePullRequest | null {
  const record = (answer ?? {}) as Record<string, unknown>;
  const number = record[numberKey];
  const url = record[urlKey];
  if (typeof number !== 'number' && typeof number !== 'string') return null;
  return { number: String(number), url: typeof url === 'string' ? url : null };
}
