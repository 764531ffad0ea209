import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyStandardWebhook } from '../../../src/providers/gitlab/verify-standard-webhook.js';

const KEY = Buffer.from('a 32-byte key for the test suite');
const SECRET = `whsec_${KEY.toString('base64')}`;
const BODY = Buffer.from('{"object_kind":"push"}');
const ID = 'msg_2mVKm3bDnzvE2wq2N7dDbUuWQZ7';
const NOW = 1_700_000_000;

function sign(key: Buffer | string, id: string, timestamp: string, body: Buffer): string {
  const digest = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  return `v1,${digest.toString('base64')}`;
}

function headers(signature: string, timestamp = String(NOW)) {
  return { id: ID, timestamp, signature };
}

describe('verifyStandardWebhook', () => {
  it('accepts the published Standard Webhooks example', () => {
    const result = verifyStandardWebhook(
      ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      Buffer.from('{"test": 2432232314}'),
      {
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: '1614265330',
        signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      },
      1614265330,
    );
    expect(result).toEqual({ ok: true });
  });

  it('accepts a signature over id.timestamp.body keyed with the decoded whsec_ secret', () => {
    const signature = sign(KEY, ID, String(NOW), BODY);
    expect(verifyStandardWebhook([SECRET], BODY, headers(signature), NOW)).toEqual({ ok: true });
  });

  it('uses a secret without the whsec_ prefix as UTF-8 bytes', () => {
    const signature = sign(Buffer.from('plain-sécret', 'utf8'), ID, String(NOW), BODY);
    expect(verifyStandardWebhook(['plain-sécret'], BODY, headers(signature), NOW)).toEqual({
      ok: true,
    });
  });

  it('accepts when any of several space-separated signatures matches', () => {
    const good = sign(KEY, ID, String(NOW), BODY);
    const header = `v1,${Buffer.alloc(32).toString('base64')} v2,whatever ${good}`;
    expect(verifyStandardWebhook([SECRET], BODY, headers(header), NOW)).toEqual({ ok: true });
  });

  it('accepts the second secret during a rotation', () => {
    const signature = sign(KEY, ID, String(NOW), BODY);
    expect(verifyStandardWebhook(['whsec_b2xk', SECRET], BODY, headers(signature), NOW)).toEqual({
      ok: true,
    });
  });

  it('rejects a signature made with another secret', () => {
    const signature = sign(Buffer.from('another key'), ID, String(NOW), BODY);
    expect(verifyStandardWebhook([SECRET], BODY, headers(signature), NOW)).toEqual({
      ok: false,
      reason: 'no matching signature',
    });
  });

  it('rejects a tampered body, id or timestamp', () => {
    const signature = sign(KEY, ID, String(NOW), BODY);
    const tampered = Buffer.from('{"object_kind":"pipeline"}');
    expect(verifyStandardWebhook([SECRET], tampered, headers(signature), NOW).ok).toBe(false);
    expect(
      verifyStandardWebhook([SECRET], BODY, { ...headers(signature), id: 'msg_other' }, NOW).ok,
    ).toBe(false);
    expect(verifyStandardWebhook([SECRET], BODY, headers(signature, String(NOW - 1)), NOW).ok).toBe(
      false,
    );
  });

  it.each([
    ['id', 'missing webhook-id header'],
    ['timestamp', 'missing webhook-timestamp header'],
    ['signature', 'missing webhook-signature header'],
  ] as const)('rejects a delivery without the %s header', (name, reason) => {
    const all = headers(sign(KEY, ID, String(NOW), BODY));
    const { [name]: _dropped, ...rest } = all;
    expect(verifyStandardWebhook([SECRET], BODY, rest, NOW)).toEqual({ ok: false, reason });
  });

  it('accepts timestamps up to the tolerance away, both ways', () => {
    for (const timestamp of [NOW - 300, NOW + 300]) {
      const signature = sign(KEY, ID, String(timestamp), BODY);
      const result = verifyStandardWebhook(
        [SECRET],
        BODY,
        headers(signature, String(timestamp)),
        NOW,
      );
      expect(result).toEqual({ ok: true });
    }
  });

  it('rejects an expired timestamp even with a valid signature', () => {
    const timestamp = String(NOW - 301);
    const signature = sign(KEY, ID, timestamp, BODY);
    expect(verifyStandardWebhook([SECRET], BODY, headers(signature, timestamp), NOW)).toEqual({
      ok: false,
      reason: 'webhook-timestamp is too old',
    });
  });

  it('rejects a timestamp in the future beyond the tolerance', () => {
    const timestamp = String(NOW + 301);
    const signature = sign(KEY, ID, timestamp, BODY);
    expect(verifyStandardWebhook([SECRET], BODY, headers(signature, timestamp), NOW)).toEqual({
      ok: false,
      reason: 'webhook-timestamp is in the future',
    });
  });

  it('honours a custom tolerance', () => {
    const timestamp = String(NOW - 60);
    const signature = sign(KEY, ID, timestamp, BODY);
    expect(verifyStandardWebhook([SECRET], BODY, headers(signature, timestamp), NOW, 30).ok).toBe(
      false,
    );
    expect(verifyStandardWebhook([SECRET], BODY, headers(signature, timestamp), NOW, 60).ok).toBe(
      true,
    );
  });

  it.each(['1.7e9', '-1', 'abc', '1700000000.5'])('rejects the timestamp %s', (timestamp) => {
    const signature = sign(KEY, ID, timestamp, BODY);
    expect(verifyStandardWebhook([SECRET], BODY, headers(signature, timestamp), NOW)).toEqual({
      ok: false,
      reason: 'webhook-timestamp is not Unix seconds',
    });
  });

  it('rejects a header with no usable v1 entry', () => {
    const digest = sign(KEY, ID, String(NOW), BODY).slice(3);
    for (const header of [`v2,${digest}`, digest, 'v1,', 'v1,not base64!', 'v1,AAAA']) {
      expect(verifyStandardWebhook([SECRET], BODY, headers(header), NOW)).toEqual({
        ok: false,
        reason: 'webhook-signature has no v1 signature',
      });
    }
  });

  it('rejects when no usable secret is configured', () => {
    const signature = sign(Buffer.alloc(0), ID, String(NOW), BODY);
    for (const secrets of [[], [''], ['whsec_'], ['whsec_***']]) {
      expect(verifyStandardWebhook(secrets, BODY, headers(signature), NOW)).toEqual({
        ok: false,
        reason: 'no usable secret configured',
      });
    }
  });

  it('rejects when the current time is not a number', () => {
    const signature = sign(KEY, ID, String(NOW), BODY);
    expect(verifyStandardWebhook([SECRET], BODY, headers(signature), Number.NaN).ok).toBe(false);
  });
});
