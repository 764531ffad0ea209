// X-Hub-Signature as Bitbucket Cloud and Data Center send it: HMAC-SHA256 of the raw body.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verifyBitbucketSignature } from '../../../src/providers/bitbucket/verify-bitbucket-signature.js';

/** A delivery Bitbucket Cloud signed, with its secret and signature (test/fixtures/bitbucket/SOURCE.md). */
const SIGNED = readFileSync(
  new URL('../../fixtures/bitbucket/cloud-push-branch-created-signed.json', import.meta.url),
);
const SIGNED_SECRET = 'Gkvl$k$wyNpQAF42';
const SIGNED_HEADER = 'sha256=f205c729821c6954aff2afe72b965c34015b4baf96ea8ddc2cc44999c014a035';

const sign = (secret: string, body: Buffer) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('verifyBitbucketSignature', () => {
  it('accepts the signature Bitbucket Cloud sent for a captured delivery, over its raw bytes', () => {
    expect(verifyBitbucketSignature([SIGNED_SECRET], SIGNED, SIGNED_HEADER)).toBe(true);
  });

  it('accepts it among other secrets during a rotation, whatever their order', () => {
    expect(verifyBitbucketSignature(['old', SIGNED_SECRET], SIGNED, SIGNED_HEADER)).toBe(true);
    expect(verifyBitbucketSignature([SIGNED_SECRET, 'new'], SIGNED, SIGNED_HEADER)).toBe(true);
  });

  it('rejects the same delivery re-serialized: the bytes are signed, not the JSON', () => {
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(SIGNED.toString('utf8')), null, 2));
    expect(verifyBitbucketSignature([SIGNED_SECRET], reformatted, SIGNED_HEADER)).toBe(false);
  });

  it('rejects one changed byte of the body, and one changed digit of the signature', () => {
    const tampered = Buffer.from(SIGNED);
    tampered[100] = tampered[100] === 0x61 ? 0x62 : 0x61;
    expect(verifyBitbucketSignature([SIGNED_SECRET], tampered, SIGNED_HEADER)).toBe(false);
    const wrongDigit = `${SIGNED_HEADER.slice(0, -1)}6`;
    expect(verifyBitbucketSignature([SIGNED_SECRET], SIGNED, wrongDigit)).toBe(false);
  });

  it('rejects another secret, an empty secret list and empty secrets', () => {
    expect(verifyBitbucketSignature(['Gkvl$k$wyNpQAF43'], SIGNED, SIGNED_HEADER)).toBe(false);
    expect(verifyBitbucketSignature([], SIGNED, SIGNED_HEADER)).toBe(false);
    const body = Buffer.from('{}');
    expect(verifyBitbucketSignature([''], body, sign('', body))).toBe(false);
  });

  it('rejects a missing header, a bare digest, sha1= and a truncated digest', () => {
    const body = Buffer.from('{"eventKey":"repo:refs_changed"}');
    const good = sign('s3cret', body);
    expect(verifyBitbucketSignature(['s3cret'], body, good)).toBe(true);
    expect(verifyBitbucketSignature(['s3cret'], body, undefined)).toBe(false);
    expect(verifyBitbucketSignature(['s3cret'], body, good.slice('sha256='.length))).toBe(false);
    const sha1 = `sha1=${createHmac('sha1', 's3cret').update(body).digest('hex')}`;
    expect(verifyBitbucketSignature(['s3cret'], body, sha1)).toBe(false);
    expect(verifyBitbucketSignature(['s3cret'], body, good.slice(0, -2))).toBe(false);
    expect(verifyBitbucketSignature(['s3cret'], body, `${good},${good}`)).toBe(false);
    expect(verifyBitbucketSignature(['s3cret'], body, `SHA256=${good.slice(7)}`)).toBe(false);
  });
});
