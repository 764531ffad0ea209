// GitLab webhook secret tokens (X-Gitlab-Token), checked in constant time.

import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether `header` (the X-Gitlab-Token header) equals any of `tokens` (several during a
 * rotation). Both sides are hashed with SHA-256 first so the compared buffers always have the
 * same length, then compared with timingSafeEqual; every token is tried, so timing reveals
 * neither a token's length nor which one matched. A missing or empty header is false; empty
 * tokens are skipped.
 */
export function verifyGitlabToken(tokens: readonly string[], header: string | undefined): boolean {
  if (header === undefined || header === '') return false;
  const given = sha256(header);
  let matched = false;
  for (const token of tokens) {
    if (token === '') continue;
    matched = timingSafeEqual(sha256(token), given) || matched;
  }
  return matched;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
