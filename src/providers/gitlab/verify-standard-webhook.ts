// Standard Webhooks signatures (https://www.standardwebhooks.com/), as GitLab signs with a
// signing token: webhook-id, webhook-timestamp and webhook-signature headers.

import { createHmac, timingSafeEqual } from 'node:crypto';

export type StandardWebhookHeaders = { id?: string; timestamp?: string; signature?: string };
export type StandardWebhookResult = { ok: true } | { ok: false; reason: string };

const SECRET_PREFIX = 'whsec_';
const DIGEST_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Checks a Standard Webhooks delivery: `headers.signature` (webhook-signature) holds
 * space-separated `v1,<base64>` entries, each a candidate HMAC-SHA256 of
 * `${id}.${timestamp}.${rawBody}`; the delivery is genuine when any entry matches under any of
 * `secrets` (rotation on either side). A secret `whsec_<base64>` is keyed with the decoded
 * bytes; a secret without the prefix is used as UTF-8 bytes. `timestamp` (Unix seconds) must lie
 * within `toleranceSeconds` of `nowSeconds`, in the past or the future, which bounds replays.
 * Every secret × entry pair is compared with timingSafeEqual on 32-byte buffers.
 */
export function verifyStandardWebhook(
  secrets: readonly string[],
  rawBody: Buffer,
  headers: StandardWebhookHeaders,
  nowSeconds: number,
  toleranceSeconds = 300,
): StandardWebhookResult {
  const { id, timestamp, signature } = headers;
  if (!id) return { ok: false, reason: 'missing webhook-id header' };
  if (!timestamp) return { ok: false, reason: 'missing webhook-timestamp header' };
  if (!signature) return { ok: false, reason: 'missing webhook-signature header' };
  if (!/^[0-9]{1,15}$/.test(timestamp)) {
    return { ok: false, reason: 'webhook-timestamp is not Unix seconds' };
  }
  const age = nowSeconds - Number(timestamp);
  if (!Number.isFinite(age)) return { ok: false, reason: 'current time is not a number' };
  if (age > toleranceSeconds) return { ok: false, reason: 'webhook-timestamp is too old' };
  if (age < -toleranceSeconds) {
    return { ok: false, reason: 'webhook-timestamp is in the future' };
  }

  const candidates = v1Signatures(signature);
  if (candidates.length === 0) {
    return { ok: false, reason: 'webhook-signature has no v1 signature' };
  }
  const keys = secrets.map(secretKey).filter((key): key is Buffer => key !== undefined);
  if (keys.length === 0) return { ok: false, reason: 'no usable secret configured' };

  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), rawBody]);
  let matched = false;
  for (const key of keys) {
    const expected = createHmac('sha256', key).update(content).digest();
    for (const candidate of candidates) {
      matched = timingSafeEqual(expected, candidate) || matched;
    }
  }
  return matched ? { ok: true } : { ok: false, reason: 'no matching signature' };
}

/** The decoded 32-byte digests of the `v1,<base64>` entries; other versions are skipped. */
function v1Signatures(header: string): Buffer[] {
  const digests: Buffer[] = [];
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const encoded = entry.slice(comma + 1);
    if (!BASE64.test(encoded)) continue;
    const digest = Buffer.from(encoded, 'base64');
    if (digest.length === DIGEST_BYTES) digests.push(digest);
  }
  return digests;
}

/** The HMAC key a configured secret stands for, or undefined when it is empty or not base64. */
function secretKey(secret: string): Buffer | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) {
    return secret === '' ? undefined : Buffer.from(secret, 'utf8');
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length > 0 ? key : undefined;
}
