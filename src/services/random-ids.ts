import { randomBytes, randomFillSync } from 'node:crypto';
import type { IdGenerator } from '../domain/ids.js';

const RANDOM_BYTES = 6;
// Ids are drawn from a pool refilled 256 at a time: one call into the random source per 256
// ids instead of one per id (webhooks take an id each). Secrets are never pooled.
const pool = Buffer.alloc(RANDOM_BYTES * 256);
let offset = pool.length;

/**
 * 12 hex digits of the creation time in milliseconds, then 12 random ones (48 bits). Ids made
 * later sort after, so new rows land at the end of their primary-key index instead of on a
 * random page of it: a commit of many deliveries dirties (and writes to the WAL) a few pages
 * instead of one per delivery. The random half keeps ids of the same millisecond apart.
 */
function nextIdHex(now: number): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.toString('hex', offset, offset + RANDOM_BYTES);
  offset += RANDOM_BYTES;
  return now.toString(16).padStart(12, '0') + random;
}

/** Ids and secrets from the operating system's random source. */
export const randomIds: IdGenerator = {
  next: (prefix) => `${prefix}_${nextIdHex(Date.now())}`,
  secret: (bytes) => randomBytes(bytes).toString('base64url'),
};
