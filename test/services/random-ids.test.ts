// Ids come from a pool refilled from the random source; they must stay unique and well-formed
// across refills.
import { expect, it } from 'vitest';
import { randomIds } from '../../src/services/random-ids.js';

it('hands out unique, prefixed 24-hex-digit ids across many pool refills', () => {
  const ids = Array.from({ length: 5000 }, () => randomIds.next('dlv'));
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids) expect(id).toMatch(/^dlv_[0-9a-f]{24}$/);
});

it('draws secrets straight from the random source, base64url-encoded', () => {
  const secrets = new Set(Array.from({ length: 100 }, () => randomIds.secret(32)));
  expect(secrets.size).toBe(100);
  for (const secret of secrets) expect(secret).toMatch(/^[\w-]{43}$/);
});
