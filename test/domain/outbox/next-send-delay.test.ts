// When the outbox tries a call again: what the forge asked for wins over the backoff schedule,
// the schedule is jittered ±20 %, and a used-up schedule means dead.
import { describe, expect, it } from 'vitest';
import {
  nextSendDelay,
  OUTBOX_RETRY_SCHEDULE,
} from '../../../src/domain/outbox/next-send-delay.js';

const none = { retryAfter: null, rateLimitRemaining: null, rateLimitReset: null };
const now = new Date('2026-12-03T12:00:00Z');

describe('nextSendDelay', () => {
  it('follows the schedule with ±20 % jitter, then gives up', () => {
    expect(nextSendDelay(1, none, now, 0)).toBe(8_000);
    expect(nextSendDelay(1, none, now, 0.5)).toBe(10_000);
    expect(nextSendDelay(1, none, now, 0.999999)).toBe(12_000);
    expect(nextSendDelay(OUTBOX_RETRY_SCHEDULE.length, none, now, 0.5)).toBe(3_600_000);
    expect(nextSendDelay(OUTBOX_RETRY_SCHEDULE.length + 1, none, now, 0.5)).toBeUndefined();
  });

  it('Retry-After in seconds or as an HTTP date wins over a shorter backoff', () => {
    expect(nextSendDelay(1, { ...none, retryAfter: '120' }, now, 0.5)).toBe(120_000);
    expect(
      nextSendDelay(1, { ...none, retryAfter: 'Thu, 03 Dec 2026 12:05:00 GMT' }, now, 0.5),
    ).toBe(300_000);
  });

  it('x-ratelimit-reset counts only when x-ratelimit-remaining is 0', () => {
    const reset = String(now.getTime() / 1000 + 600);
    expect(
      nextSendDelay(1, { ...none, rateLimitRemaining: '0', rateLimitReset: reset }, now, 0.5),
    ).toBe(601_000);
    expect(
      nextSendDelay(1, { ...none, rateLimitRemaining: '12', rateLimitReset: reset }, now, 0.5),
    ).toBe(10_000);
  });

  it('a hostile or absurd answer is bounded: at most an hour, a date in the past is a second, garbage ignored', () => {
    expect(nextSendDelay(1, { ...none, retryAfter: '9999999' }, now, 0.5)).toBe(3_600_000);
    expect(
      nextSendDelay(1, { ...none, retryAfter: 'Thu, 01 Jan 1970 00:00:00 GMT' }, now, 0.5),
    ).toBe(1_000);
    expect(nextSendDelay(1, { ...none, retryAfter: '1e9; drop table' }, now, 0.5)).toBe(10_000);
  });
});
