// Bitbucket webhook signatures (X-Hub-Signature: sha256=…, Cloud and Data Center), checked in
// constant time.

import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Whether `signatureHeader` (`sha256=<hex>`, Bitbucket's X-Hub-Signature header) is the
 * HMAC-SHA256 of the exact `rawBody` bytes under any of `secrets` (several during a rotation).
 * Bitbucket Cloud and Data Center both sign this way once a webhook has a secret. Every secret
 * is tried, whatever the earlier ones gave, and digests are compared with timingSafeEqual on
 * equal-length buffers. A missing or malformed header, or another algorithm (`sha1=`), is false;
 * empty secrets are skipped.
 *
 * @example
 * verifyBitbucketSignature(['s3cret'], rawBody, headers['x-hub-signature']) // true or false
 */
export function verifyBitbucketSignature(
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
