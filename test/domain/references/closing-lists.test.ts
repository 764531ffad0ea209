// Issue #17 point 6: one closing word closes every story of its list, where GitHub's own keywords
// close only the first ("Fixes #1, #2" closes #1). Each form, in each place a change is read.
import { describe, expect, it } from 'vitest';
import {
  findChangeReferences,
  findTextReferences,
} from '../../../src/domain/references/find-story-references.js';
import { DEFAULT_REFERENCE_CONFIG } from '../../../src/domain/references/reference-patterns.js';

const ALL_THREE = ['closes INT-003', 'closes INT-004', 'closes UI-007'];

const forms: [form: string, text: string][] = [
  ['a comma and "and"', 'Fixes INT-003, INT-004 and UI-007'],
  ['commas only', 'Fixes INT-003, INT-004, UI-007'],
  ['an Oxford comma and a full stop', 'Fixes INT-003, INT-004, and UI-007.'],
  ['"&"', 'Closes INT-003 & INT-004 & UI-007'],
  ['spaces', 'Resolves INT-003 INT-004 UI-007'],
  ['one per line, each with its word', 'Fixes INT-003\nFixes INT-004\nCloses UI-007'],
  ['one per line, as trailers', 'Add the thing\n\nFixes: INT-003\nFixes: INT-004\nCloses: UI-007'],
  ['a word for each in one sentence', 'fixes INT-003, fixes INT-004 and resolves UI-007'],
  ['brackets and hashes', 'Fixes [INT-003], #INT-004 and (UI-007)'],
  ['CRLF line ends', 'Fixes INT-003\r\nFixes INT-004\r\nFixes UI-007\r\n'],
];
const sources = ['commit', 'pr-title', 'pr-body'] as const;

describe('a closing list closes every story it names', () => {
  for (const source of sources) {
    it.each(forms)(`in a ${source}: %s`, (_form, text) => {
      const found = findTextReferences(text, source, DEFAULT_REFERENCE_CONFIG);
      expect(found.map((reference) => `${reference.relation} ${reference.id}`)).toEqual(ALL_THREE);
      expect(found.every((reference) => reference.source === source)).toBe(true);
    });
  }

  it('a bullet list under a closing heading only mentions (put the ids on the word’s line)', () => {
    const found = findTextReferences(
      'Fixes:\n- INT-003\n- INT-004',
      'pr-body',
      DEFAULT_REFERENCE_CONFIG,
    );
    expect(found.map((reference) => `${reference.relation} ${reference.id}`)).toEqual([
      'mentions INT-003',
      'mentions INT-004',
    ]);
  });

  it('a squash merge keeps the list: the commit closes all three too', () => {
    const references = findChangeReferences(
      {
        commits: [{ message: 'Webhooks (#42)\n\nFixes INT-003, INT-004 and UI-007' }],
        pr: { title: 'Webhooks', body: 'Fixes INT-003, INT-004 and UI-007' },
      },
      DEFAULT_REFERENCE_CONFIG,
    );
    expect(
      references.map((reference) => `${reference.source} ${reference.relation} ${reference.id}`),
    ).toEqual([
      'commit closes INT-003',
      'commit closes INT-004',
      'commit closes UI-007',
      'pr-body closes INT-003',
      'pr-body closes INT-004',
      'pr-body closes UI-007',
    ]);
  });
});
