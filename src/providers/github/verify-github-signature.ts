// GitHub webhook signatures (X-Hub-Signature-256), checked in constant time.

import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Whether `signatureHeader` (`sha256=<hex>`, the X-Hub-Signature-256 header) is the
 * HMAC-SHA256 of the exact `rawBody` bytes under any of `secrets` (several during a rotation).
 * Every secret is tried, whatever the earlier ones gave, and digests are compared with
 * timingSafeEqual on equal-length buffers, so timing tells nothing about which secret or how
 * much of the digest matched. A missing or malformed header is false; empty secrets are skipped
 * (an empty HMAC key would accept anyone who guesses it).
 */
export function verifyGithubSignature(
  secrets: readonly string[],
  rawBody: Buffer,
  signatureHeader: string | undefined,
): boolean {
  const hex = signatureHeader === undefined ? undefined : HEADER.exec(signatureHeader.trim())?.[1];
  if (hex === undefined) return false;
  const given = Buffer.from(hex, 'hex');
  let matched = false;
  for (const secret of secrets) {
    if (secret === '') continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    matched = timingSafeEqual(expected, given) || matched;
  }
  return matched;
}
