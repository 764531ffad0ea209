import { randomBytes, randomFillSync } from 'node:crypto';
import type { IdGenerator } from '../domain/ids.js';

const ID_BYTES = 12;
// Ids are drawn from a pool refilled 256 at a time: one call into the random source per 256
// ids instead of one per id (webhooks take an id each). Secrets are never pooled.
const pool = Buffer.alloc(ID_BYTES * 256);
let offset = pool.length;

function nextIdHex(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return hex;
}

/** Ids and secrets from the operating system's random source. */
export const randomIds: IdGenerator = {
  next: (prefix) => `${prefix}_${nextIdHex()}`,
  secret: (bytes) => randomBytes(bytes).toString('base64url'),
};
