// GitHub webhook signatures (X-Hub-Signature-256: sha256=<hex>), checked in constant time.
import { sha256HeaderDigest, verifyHmacSha256 } from '../verify-hmac-sha256.js';

/**
 * Whether `signatureHeader` (`sha256=<hex>`, the X-Hub-Signature-256 header) is the
 * HMAC-SHA256 of the exact `rawBody` bytes under any of `secrets` (verifyHmacSha256). A missing
 * or malformed header is false.
 */
export function verifyGithubSignature(
  secrets: readonly string[],
  rawBody: Buffer,
  signatureHeader: string | undefined,
): boolean {
  return verifyHmacSha256(secrets, rawBody, sha256HeaderDigest(signatureHeader));
}
