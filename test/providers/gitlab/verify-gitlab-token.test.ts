import { describe, expect, it } from 'vitest';
import { verifyGitlabToken } from '../../../src/providers/gitlab/verify-gitlab-token.js';

describe('verifyGitlabToken', () => {
  it('accepts the configured token', () => {
    expect(verifyGitlabToken(['glpat-like-secret'], 'glpat-like-secret')).toBe(true);
  });

  it('rejects a wrong token, a prefix of it and a longer one', () => {
    expect(verifyGitlabToken(['secret-token'], 'secret-tokeN')).toBe(false);
    expect(verifyGitlabToken(['secret-token'], 'secret')).toBe(false);
    expect(verifyGitlabToken(['secret-token'], 'secret-token ')).toBe(false);
  });

  it('accepts the second token during a rotation', () => {
    expect(verifyGitlabToken(['old-token', 'new-token'], 'new-token')).toBe(true);
    expect(verifyGitlabToken(['old-token', 'new-token'], 'old-token')).toBe(true);
  });

  it('rejects a missing or empty header', () => {
    expect(verifyGitlabToken(['secret-token'], undefined)).toBe(false);
    expect(verifyGitlabToken(['secret-token'], '')).toBe(false);
  });

  it('rejects everything when no token, or only an empty one, is configured', () => {
    expect(verifyGitlabToken([], 'anything')).toBe(false);
    expect(verifyGitlabToken([''], '')).toBe(false);
  });

  it('compares Unicode tokens by their UTF-8 bytes', () => {
    expect(verifyGitlabToken(['clé-secrète'], 'clé-secrète')).toBe(true);
    expect(verifyGitlabToken(['clé-secrète'], 'cle-secrete')).toBe(false);
  });
});
