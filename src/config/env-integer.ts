// The one reading of an integer environment variable (STORYFLOW_PORT, STORYFLOW_INBOX_MAX,
// STORYFLOW_WORKER_NICENESS): decimal digits only, within bounds, or a ConfigError naming it.
import { ConfigError } from './config-error.js';

export interface IntegerBounds {
  min: number;
  max?: number;
  /** What the number is, for the message (default "an integer"). */
  what?: string;
}

/**
 * The value of `variable` as an integer, or undefined when it is not set. "1e3", "0x10", " 5",
 * "" and "-1" are refused rather than read as some other number: the error names the variable,
 * the bounds and what was given.
 */
export function envInteger(
  env: Record<string, string | undefined>,
  variable: string,
  bounds: IntegerBounds,
): number | undefined {
  const raw = env[variable];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const { min, max } = bounds;
  if (!/^\d{1,15}$/.test(raw) || value < min || (max !== undefined && value > max)) {
    const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(
      variable,
      `must be ${bounds.what ?? 'an integer'} ${range}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
