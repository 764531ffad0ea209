// Gitea and Forgejo webhook signatures (X-Gitea-Signature, X-Forgejo-Signature), in constant time.

import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;

/**
 * Whether `signature` (the bare lower-case hex of an HMAC-SHA256, no `sha256=` prefix, as Gitea
 * and Forgejo send it) is the HMAC-SHA256 of the exact `rawBody` bytes under any of `secrets`
 * (several during a rotation). Every secret is tried whatever the earlier ones gave, and digests
 * are compared with timingSafeEqual on equal-length buffers. A missing or malformed signature is
 * false (Gitea sends an empty X-Gitea-Signature when the hook has no secret); empty secrets are
 * skipped.
 */
export function verifyGiteaSignature(
  secrets: readonly string[],
  rawBody: Buffer,
  signature: string | undefined,
): boolean {
  const hex = signature?.trim();
  if (hex === undefined || !HEX_DIGEST.test(hex)) return false;
  const given = Buffer.from(hex, 'hex');
  let matched = false;
  for (const secret of secrets) {
    if (secret === '') continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    matched = timingSafeEqual(expected, given) || matched;
  }
  return matched;
}
