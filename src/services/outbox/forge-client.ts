// What every forge's API client does for the outbox: send one queued call (a linkback comment,
// created once then edited in place, a commit status, or the pull request of storyflow's updates
// branch) and classify the answer, so the sender's
// backoff, rate-limit waits and circuit breaker work the same for every forge.
import type { ForgeConfig } from '../../config/config.js';
import type { ForgeBackoffHints } from '../../domain/outbox/next-send-delay.js';

/** A comment on a PR (an issue comment), created once and then edited in place. */
export interface CommentPayload {
  repository: string;
  number: number;
  body: string;
}

/** A commit status on a commit. */
export interface StatusPayload {
  repository: string;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string;
  targetUrl?: string;
  /** The pull request whose head `sha` is (Azure DevOps posts the status on the pull request). */
  number?: number;
  /** The pull request's source branch (Bitbucket ties a status to a pull request by it). */
  branch?: string;
}

/** A check run on a commit (a GitHub App's merge check): created once, then updated in place. */
export interface CheckPayload {
  repository: string;
  sha: string;
  name: string;
  conclusion: 'success' | 'failure';
  title: string;
  summary: string;
  detailsUrl?: string;
}

/**
 * The one pull request (GitLab: merge request) from storyflow's updates branch into the tracked
 * branch (docs/git-sync.md): the open one is found by its branches and edited, else one is
 * opened. Every send looks first, so a create whose answer was lost is never made twice, and a
 * merged or closed one is followed by a new one.
 */
export interface PullRequestPayload {
  repository: string;
  /** The branch storyflow pushes (storyflow/updates) and the one it is to be merged into. */
  head: string;
  base: string;
  title: string;
  body: string;
}

export type SendResult =
  /** `remoteUrl`: the web address of what the call made, when it matters (a pull request). */
  | { kind: 'sent'; remoteId: string | null; remoteUrl?: string | null }
  /** Worth trying again (network, timeout, 5xx); `hints` say when the forge wants it. */
  | { kind: 'retry'; error: string; hints: ForgeBackoffHints }
  /** Rate-limited (429, or GitHub's primary or secondary limit on 403): wait, then again. */
  | { kind: 'limited'; error: string; hints: ForgeBackoffHints }
  /** Will not succeed as it is (another 4xx): dead at once. */
  | { kind: 'refused'; error: string };

export type FetchLike = typeof fetch;

/** How long a call may take before it counts as failed. */
export const CALL_TIMEOUT_MS = 30_000;

/** What the sender knows of a row beyond its payload. */
export interface SendOptions {
  /**
   * An earlier create of this comment may have reached the forge without storyflow recording its
   * id (the process died, or the answer was lost): a client that can should look for that comment
   * (its body starts with the linkback marker) and edit it rather than create a second one.
   */
  createInDoubt?: boolean;
}

export interface ForgeClient {
  /**
   * Sends the call of outbox `kind` ('comment' | 'status' | 'check' | 'pull-request') with its
   * payload; `remoteId`
   * is what an earlier send answered (the comment's or check run's id), so it is edited rather
   * than posted again.
   */
  send(
    forge: ForgeConfig,
    kind: string,
    payload: unknown,
    remoteId: string | null,
    fetchImpl?: FetchLike,
    options?: SendOptions,
  ): Promise<SendResult>;
}
