import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '../domain/ids.js';

/** Ids and secrets from the operating system's random source. */
export const randomIds: IdGenerator = {
  next: (prefix) => `${prefix}_${randomBytes(12).toString('hex')}`,
  secret: (bytes) => randomBytes(bytes).toString('base64url'),
};
