import { describe, expect, it } from 'vitest';
import { parseRateLimit } from '../../../src/domain/rate-limit/parse-rate-limit.js';

describe('parseRateLimit', () => {
  it.each([
    ['600/minute', 600, 60_000],
    ['10/second', 10, 1000],
    ['5000/hour', 5000, 3_600_000],
    ['100/day', 100, 86_400_000],
    ['50/30s', 50, 30_000],
    ['1000/5m', 1000, 300_000],
    ['3/2h', 3, 7_200_000],
    ['7/250ms', 7, 250],
    ['20/min', 20, 60_000],
    [' 600 / minute ', 600, 60_000],
    ['600/Minute', 600, 60_000],
  ])('reads %j as %i per %i ms', (spec, limit, windowMs) => {
    expect(parseRateLimit(spec)).toEqual({ limit, windowMs });
  });

  it.each([
    ['0/minute', /limit "0" must be a positive whole number/],
    ['-5/minute', /limit "-5" must be a positive whole number/],
    ['1.5/minute', /limit "1.5" must be a positive whole number/],
    ['abc', /expected <limit>\/<window>/],
    ['', /expected <limit>\/<window>/],
    ['600', /expected <limit>\/<window>/],
    ['600/', /expected <limit>\/<window>/],
    ['600/30', /expected <limit>\/<window>/],
    ['600/-30s', /expected <limit>\/<window>/],
    ['600/1.5m', /expected <limit>\/<window>/],
    ['600/fortnight', /unknown window unit "fortnight"/],
    ['600/0s', /window "0s" must be a positive length of time/],
    ['x/minute', /limit "x" must be a positive whole number/],
  ])('rejects %j with a clear message', (spec, message) => {
    expect(() => parseRateLimit(spec)).toThrow(message);
    expect(() => parseRateLimit(spec)).toThrow(`invalid rate limit "${spec}"`);
  });
});
