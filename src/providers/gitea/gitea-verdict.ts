// What a finished Gitea or Forgejo Actions run's conclusion or status means for the pipeline.

const SUCCEEDED = new Set(['success']);
const FAILED = new Set(['failure', 'cancelled']);

/**
 * success → pipeline.succeeded; failure and cancelled → pipeline.failed (a cancelled run did not
 * show the commit is good); skipped and anything unknown give no verdict → undefined.
 */
export function giteaVerdict(
  conclusion: string | undefined,
): 'pipeline.succeeded' | 'pipeline.failed' | undefined {
  if (conclusion === undefined) return undefined;
  if (SUCCEEDED.has(conclusion)) return 'pipeline.succeeded';
  if (FAILED.has(conclusion)) return 'pipeline.failed';
  return undefined;
}
