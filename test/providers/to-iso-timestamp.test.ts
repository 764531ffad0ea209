import { describe, expect, it } from 'vitest';
import { toIsoTimestamp } from '../../src/providers/to-iso-timestamp.js';

describe('toIsoTimestamp', () => {
  it.each([
    ['2019-05-15T15:20:33Z', '2019-05-15T15:20:33.000Z'],
    ['2012-01-03T23:36:29+02:00', '2012-01-03T21:36:29.000Z'],
    ['2021-12-15T20:11:38.000Z', '2021-12-15T20:11:38.000Z'],
    ['2016-08-12 15:23:28 UTC', '2016-08-12T15:23:28.000Z'],
    ['2021-04-28 21:50:00 +0200', '2021-04-28T19:50:00.000Z'],
    ['2021-04-28 21:50:00 -05:30', '2021-04-29T03:20:00.000Z'],
    [1557933657, '2019-05-15T15:20:57.000Z'],
    [-62167219200, '0000-01-01T00:00:00.000Z'],
    [253402300799, '9999-12-31T23:59:59.000Z'],
  ])('reads %j as %s', (input, expected) => {
    expect(toIsoTimestamp(input)).toBe(expected);
  });

  it.each([
    ['a malformed time (GitLab doc example)', '2015-04-08T21: 00:25-07:00'],
    ['a time without zone', '2019-05-15T15:20:33'],
    ['a date only', '2019-05-15'],
    ['an impossible date', '2019-13-45T10:00:00Z'],
    ['an empty string', ''],
    ['null', null],
    ['an object', { at: 1 }],
    ['infinity', Number.POSITIVE_INFINITY],
    ['a number beyond the Date range', 1e20],
    ['seconds before the year 0000 (a six-digit year in ISO form)', -62167219200.001],
    ['seconds after the year 9999', 253402300800],
    ['an offset that moves a time past 9999', '9999-12-31T23:00:00-05:00'],
  ])('rejects %s', (_, input) => {
    expect(toIsoTimestamp(input)).toBeUndefined();
  });
});
