// What a completed GitHub run's conclusion means for the pipeline.

const SUCCEEDED = new Set(['success']);
const FAILED = new Set(['failure', 'timed_out', 'cancelled', 'startup_failure']);

/**
 * success → pipeline.succeeded; failure, timed_out, cancelled and startup_failure →
 * pipeline.failed (a cancelled run did not show the commit is good, so automation waiting for
 * green must not go on); neutral, skipped, stale, action_required and anything unknown give no
 * verdict → undefined (the delivery is ignored).
 */
export function githubConclusionKind(
  conclusion: string | undefined,
): 'pipeline.succeeded' | 'pipeline.failed' | undefined {
  if (conclusion === undefined) return undefined;
  if (SUCCEEDED.has(conclusion)) return 'pipeline.succeeded';
  if (FAILED.has(conclusion)) return 'pipeline.failed';
  return undefined;
}
