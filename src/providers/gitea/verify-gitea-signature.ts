// Gitea and Forgejo webhook signatures (X-Gitea-Signature, X-Forgejo-Signature), in constant time.
import { verifyHmacSha256 } from '../verify-hmac-sha256.js';

/**
 * Whether `signature` (the bare hex of an HMAC-SHA256, no `sha256=` prefix, as Gitea and
 * Forgejo send it) is the HMAC-SHA256 of the exact `rawBody` bytes under any of `secrets`
 * (verifyHmacSha256). A missing or malformed signature is false (Gitea sends an empty
 * X-Gitea-Signature when the hook has no secret).
 */
export function verifyGiteaSignature(
  secrets: readonly string[],
  rawBody: Buffer,
  signature: string | undefined,
): boolean {
  return verifyHmacSha256(secrets, rawBody, signature?.trim());
}
