// V8 lets a heap that survived a full collection grow by a factor of up to about 4 before the
// next one. Under a webhook burst each of serve's isolates (HTTP, the inbox worker's thread)
// then held tens of MB of garbage: 236 MB peak RSS over a bench:ingest run. With the factor at
// 1.35 the peak was 192 MB (docs/performance.md).
import { setFlagsFromString } from 'node:v8';

export const SERVE_HEAP_GROWING_PERCENT = 35;

/**
 * Sets V8's heap growing factor for this process (all its threads) unless the node command line
 * chose one (`node --heap-growing-percent=N`; V8 does not accept it in NODE_OPTIONS). Answers the
 * flag it set, or null.
 */
export function limitHeapGrowth(
  execArgv: readonly string[] = process.execArgv,
  setFlags: (flag: string) => void = setFlagsFromString,
): string | null {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return null;
  const flag = `--heap-growing-percent=${SERVE_HEAP_GROWING_PERCENT}`;
  // V8 reads this flag at each full collection, so setting it after start-up takes effect.
  setFlags(flag);
  return flag;
}
