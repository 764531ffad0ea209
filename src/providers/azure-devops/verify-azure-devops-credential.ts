// Azure DevOps service hooks carry no signature over the body: a subscription can send HTTP
// basic-auth credentials, or extra HTTP headers, with every request. Either is a shared secret
// checked here, from the headers alone, in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The longest Authorization or secret header looked at; longer ones never match. */
const MAX_CREDENTIAL_LENGTH = 4096;

/**
 * The password of a `Basic` Authorization header (RFC 7617: base64 of `user:password`, split at
 * the first colon), or undefined when the header is not Basic credentials. The user name is not
 * returned: storyflow accepts any (Azure DevOps asks for one, the secret is the password).
 */
export function basicAuthPassword(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length > MAX_CREDENTIAL_LENGTH) return undefined;
  const match = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(authorization);
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

/**
 * Whether `given` equals any of `secrets` (several during a rotation). Both sides are hashed
 * with SHA-256 so the compared buffers always have the same length, then compared with
 * timingSafeEqual; every secret is tried, so timing reveals neither a secret's length nor which
 * one matched. An undefined, empty or oversized value is false; empty secrets are skipped.
 */
export function matchesAnySecret(secrets: readonly string[], given: string | undefined): boolean {
  if (given === undefined || given === '' || given.length > MAX_CREDENTIAL_LENGTH) return false;
  const digest = sha256(given);
  let matched = false;
  for (const secret of secrets) {
    if (secret === '') continue;
    matched = timingSafeEqual(sha256(secret), digest) || matched;
  }
  return matched;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
