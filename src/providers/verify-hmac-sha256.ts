// The one HMAC-SHA256 check behind every forge that signs its webhooks (GitHub, Gitea and
// Forgejo, Bitbucket): each forge only says how its header spells the digest.
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Whether `hexDigest` (64 hex characters) is the HMAC-SHA256 of the exact `rawBody` bytes under
 * any of `secrets` (several during a rotation). Every secret is tried, whatever the earlier ones
 * gave, and digests are compared with timingSafeEqual on equal-length buffers, so timing tells
 * nothing about which secret or how much of the digest matched. Anything but 64 hex characters
 * is false; empty secrets are skipped (an empty HMAC key would accept anyone who guesses it).
 */
export function verifyHmacSha256(
  secrets: readonly string[],
  rawBody: Buffer,
  hexDigest: string | undefined,
): boolean {
  if (hexDigest === undefined || !/^[0-9a-fA-F]{64}$/.test(hexDigest)) return false;
  const given = Buffer.from(hexDigest, 'hex');
  let matched = false;
  for (const secret of secrets) {
    if (secret === '') continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    matched = timingSafeEqual(expected, given) || matched;
  }
  return matched;
}

/** The digest of a `sha256=<hex>` header (GitHub's X-Hub-Signature-256, Bitbucket's X-Hub-Signature). */
export function sha256HeaderDigest(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim())?.[1];
}
