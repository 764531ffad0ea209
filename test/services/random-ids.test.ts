// Ids come from a pool refilled from the random source; they must stay unique and well-formed
// across refills, and sort in the order they were made (so inserts append to indexes).
import { afterEach, expect, it, vi } from 'vitest';
import { randomIds } from '../../src/services/random-ids.js';

afterEach(() => {
  vi.useRealTimers();
});

it('hands out unique, prefixed 24-hex-digit ids across many pool refills', () => {
  const ids = Array.from({ length: 5000 }, () => randomIds.next('dlv'));
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids) expect(id).toMatch(/^dlv_[0-9a-f]{24}$/);
});

it('makes ids that sort by the millisecond they were made in', () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  const made: string[] = [];
  for (const at of [
    '2026-11-25T10:00:00.000Z',
    '2026-11-25T10:00:00.001Z',
    '2031-01-01T00:00:00Z',
  ]) {
    vi.setSystemTime(new Date(at));
    made.push(randomIds.next('dlv'), randomIds.next('dlv'));
  }
  const [a, b, c] = [made[0]!, made[2]!, made[4]!];
  expect(a < b && b < c).toBe(true);
  // The first half is the time: both ids of one millisecond share it.
  expect(made[0]!.slice(0, 16)).toBe(made[1]!.slice(0, 16));
  expect(made[0]!.slice(4, 16)).toBe(
    Date.parse('2026-11-25T10:00:00.000Z').toString(16).padStart(12, '0'),
  );
  expect([...made].sort()).toEqual(
    made.slice(0, 2).sort().concat(made.slice(2, 4).sort(), made.slice(4).sort()),
  );
});

it('draws secrets straight from the random source, base64url-encoded', () => {
  const secrets = new Set(Array.from({ length: 100 }, () => randomIds.secret(32)));
  expect(secrets.size).toBe(100);
  for (const secret of secrets) expect(secret).toMatch(/^[\w-]{43}$/);
});
