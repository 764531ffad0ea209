// One cursor format for every list: base64url JSON, checked on the way back in.
import { expect, it } from 'vitest';
import { ProblemError } from '../../src/errors/problem-error.js';
import { decodeCursor, encodeCursor, readStringPair } from '../../src/services/list-cursor.js';
import * as storyCursor from '../../src/services/story-cursor.js';

it('round-trips a [time, id] pair and a story id', () => {
  const pair: [string, string] = ['2026-11-25T10:00:00.000Z', 'dlv_1'];
  expect(decodeCursor(encodeCursor(pair), readStringPair)).toEqual(pair);
  expect(storyCursor.decodeCursor(storyCursor.encodeCursor('INT-003'))).toBe('INT-003');
});

it('answers a validation problem naming the cursor for garbage and for other shapes', () => {
  const attempts = [
    () => decodeCursor('garbage!', readStringPair),
    () => decodeCursor(encodeCursor(['only one']), readStringPair),
    () => decodeCursor(encodeCursor({ after: 'INT-003' }), readStringPair),
    () => storyCursor.decodeCursor(encodeCursor(['a', 'b'])),
  ];
  for (const attempt of attempts) {
    let thrown: unknown;
    try {
      attempt();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProblemError);
    expect((thrown as ProblemError).message).toMatch(/^cursor:/);
  }
});
