import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyGithubSignature } from '../../../src/providers/github/verify-github-signature.js';

const BODY = Buffer.from('{"action":"opened","number":2}');

function sign(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

describe('verifyGithubSignature', () => {
  it("accepts GitHub's published example (docs: validating webhook deliveries)", () => {
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    const body = Buffer.from('Hello, World!');
    expect(verifyGithubSignature(["It's a Secret to Everybody"], body, header)).toBe(true);
  });

  it('accepts an HMAC-SHA256 of the raw body computed with node:crypto', () => {
    expect(verifyGithubSignature(['s3cret'], BODY, sign('s3cret', BODY))).toBe(true);
  });

  it('accepts the hex digest in upper case and surrounding whitespace', () => {
    const header = ` sha256=${sign('s3cret', BODY).slice(7).toUpperCase()} `;
    expect(verifyGithubSignature(['s3cret'], BODY, header)).toBe(true);
  });

  it('verifies the exact bytes, including non-UTF-8 ones', () => {
    const body = Buffer.from([0xff, 0x00, 0xfe, 0x7b, 0x7d]);
    expect(verifyGithubSignature(['s3cret'], body, sign('s3cret', body))).toBe(true);
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyGithubSignature(['s3cret'], BODY, sign('other', BODY))).toBe(false);
  });

  it('rejects a tampered body', () => {
    const tampered = Buffer.from('{"action":"opened","number":3}');
    expect(verifyGithubSignature(['s3cret'], tampered, sign('s3cret', BODY))).toBe(false);
  });

  it('accepts the second secret during a rotation, and the first one too', () => {
    expect(verifyGithubSignature(['old', 'new'], BODY, sign('new', BODY))).toBe(true);
    expect(verifyGithubSignature(['old', 'new'], BODY, sign('old', BODY))).toBe(true);
    expect(verifyGithubSignature(['old', 'new'], BODY, sign('gone', BODY))).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['SHA-1 (X-Hub-Signature)', `sha1=${createHmac('sha1', 's3cret').update(BODY).digest('hex')}`],
    ['without prefix', sign('s3cret', BODY).slice(7)],
    ['truncated', sign('s3cret', BODY).slice(0, -2)],
    ['too long', `${sign('s3cret', BODY)}00`],
    ['not hex', `sha256=${'z'.repeat(64)}`],
  ])('rejects a %s header', (_, header) => {
    expect(verifyGithubSignature(['s3cret'], BODY, header)).toBe(false);
  });

  it('rejects everything when no secret, or only an empty one, is configured', () => {
    expect(verifyGithubSignature([], BODY, sign('s3cret', BODY))).toBe(false);
    expect(verifyGithubSignature([''], BODY, sign('', BODY))).toBe(false);
  });

  it('agrees with a direct HMAC comparison for arbitrary bodies and secrets', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        (bytes, secret, signer) => {
          const body = Buffer.from(bytes);
          expect(verifyGithubSignature([secret], body, sign(signer, body))).toBe(
            createHmac('sha256', secret).update(body).digest('hex') ===
              createHmac('sha256', signer).update(body).digest('hex'),
          );
        },
      ),
    );
  });
});
