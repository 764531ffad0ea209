// The Azure DevOps credential is compared with timingSafeEqual over equal-length digests, and
// every configured secret is tried even after one matched: timing tells neither which secret
// matched nor how long any is.
import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const { matchesAnySecret } = await import(
  '../../../src/providers/azure-devops/verify-azure-devops-credential.js'
);

describe('matchesAnySecret compares in constant time', () => {
  afterEach(() => {
    vi.mocked(crypto.timingSafeEqual).mockClear();
  });

  it('tries every secret with timingSafeEqual, on 32-byte digests, even after the first matched', () => {
    expect(matchesAnySecret(['first', 'a much longer second secret', 'x'], 'first')).toBe(true);
    const calls = vi.mocked(crypto.timingSafeEqual).mock.calls;
    expect(calls).toHaveLength(3);
    for (const [a, b] of calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('a wrong value of another length is compared the same way', () => {
    expect(matchesAnySecret(['secret'], 'not the secret at all, and longer')).toBe(false);
    expect(vi.mocked(crypto.timingSafeEqual).mock.calls).toHaveLength(1);
  });
});
