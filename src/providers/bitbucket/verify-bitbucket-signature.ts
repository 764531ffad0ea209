// Bitbucket webhook signatures (X-Hub-Signature: sha256=…, Cloud and Data Center), checked in
// constant time.
import { sha256HeaderDigest, verifyHmacSha256 } from '../verify-hmac-sha256.js';

/**
 * Whether `signatureHeader` (`sha256=<hex>`, Bitbucket's X-Hub-Signature header) is the
 * HMAC-SHA256 of the exact `rawBody` bytes under any of `secrets` (verifyHmacSha256). Bitbucket
 * Cloud and Data Center both sign this way once a webhook has a secret. A missing or malformed
 * header, or another algorithm (`sha1=`), is false.
 *
 * @example
 * verifyBitbucketSignature(['s3cret'], rawBody, headers['x-hub-signature']) // true or false
 */
export function verifyBitbucketSignature(
  secrets: readonly string[],
  rawBody: Buffer,
  signatureHeader: string | undefined,
): boolean {
  return verifyHmacSha256(secrets, rawBody, sha256HeaderDigest(signatureHeader));
}
