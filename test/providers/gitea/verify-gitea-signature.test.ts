import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyGiteaSignature } from '../../../src/providers/gitea/verify-gitea-signature.js';

const BODY = Buffer.from('{"action":"opened","number":2}');
const sign = (secret: string, body: Buffer) =>
  createHmac('sha256', secret).update(body).digest('hex');

describe('verifyGiteaSignature', () => {
  it("accepts the docs' push signed as their PHP example does (hash_hmac sha256, secret 123)", () => {
    // Computed independently with `openssl dgst -sha256 -hmac 123 test/fixtures/gitea/push.json`.
    const body = readFileSync(new URL('../../fixtures/gitea/push.json', import.meta.url));
    const signature = '380d1b86e77063324ea6a4d4b7b88009b3eeee6b6e82f4f189e9908bf0510d4e';
    expect(verifyGiteaSignature(['123'], body, signature)).toBe(true);
    expect(verifyGiteaSignature(['1234'], body, signature)).toBe(false);
  });

  it('accepts upper-case hex and surrounding whitespace', () => {
    expect(verifyGiteaSignature(['s3cret'], BODY, ` ${sign('s3cret', BODY).toUpperCase()} `)).toBe(
      true,
    );
  });

  it('verifies the exact bytes: re-serialized JSON with the same meaning does not match', () => {
    const pretty = Buffer.from(JSON.stringify(JSON.parse(BODY.toString()), null, 2));
    expect(verifyGiteaSignature(['s3cret'], pretty, sign('s3cret', BODY))).toBe(false);
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x7b, 0x7d]);
    expect(verifyGiteaSignature(['s3cret'], binary, sign('s3cret', binary))).toBe(true);
  });

  it('accepts any secret of a rotation and nothing else', () => {
    expect(verifyGiteaSignature(['old', 'new'], BODY, sign('new', BODY))).toBe(true);
    expect(verifyGiteaSignature(['old', 'new'], BODY, sign('old', BODY))).toBe(true);
    expect(verifyGiteaSignature(['old', 'new'], BODY, sign('gone', BODY))).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty (a Gitea hook without a secret)', ''],
    ['GitHub-style prefixed', `sha256=${sign('s3cret', BODY)}`],
    ['SHA-1', createHmac('sha1', 's3cret').update(BODY).digest('hex')],
    ['truncated', sign('s3cret', BODY).slice(0, -2)],
    ['too long', `${sign('s3cret', BODY)}00`],
    ['not hex', 'z'.repeat(64)],
  ])('rejects a %s signature', (_, signature) => {
    expect(verifyGiteaSignature(['s3cret'], BODY, signature)).toBe(false);
  });

  it('rejects everything when no secret, or only an empty one, is configured', () => {
    expect(verifyGiteaSignature([], BODY, sign('', BODY))).toBe(false);
    expect(verifyGiteaSignature([''], BODY, sign('', BODY))).toBe(false);
  });

  it('accepts no signature for a body it was not made for', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
        fc.pre(!Buffer.from(a).equals(Buffer.from(b)));
        const signature = sign('s3cret', Buffer.from(a));
        expect(verifyGiteaSignature(['s3cret'], Buffer.from(b), signature)).toBe(false);
      }),
    );
  });
});
