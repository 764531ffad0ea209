import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findSmartCommands } from '../../../src/domain/references/find-smart-commands.js';
import {
  findNewStoryTrailers,
  findRevertedCommits,
  findStoryDocument,
} from '../../../src/domain/references/find-story-document.js';
import {
  findBranchReferences,
  findTextReferences,
} from '../../../src/domain/references/find-story-references.js';
import {
  DEFAULT_REFERENCE_CONFIG,
  type ReferenceConfig,
} from '../../../src/domain/references/reference-patterns.js';

const NUM_RUNS = Number(process.env.REFERENCE_PROPERTY_RUNS ?? 500);

/** Pieces that matter to the finders, so that random texts often hold ids, code, URLs… */
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Z][A-Z0-9]{1,3}-\d{1,4}$/) },
  fc.constantFrom('INT-003', 'int-003', 'API-1', 'UTF-8', 'CVE-2024-1', 'ABCDEFGHIJK-1'),
  fc.constantFrom(
    ' ',
    '\n',
    '\r\n',
    '\t',
    ',',
    ' and ',
    ':',
    '#',
    '[',
    ']',
    '(',
    ')',
    '.',
    '-',
    '/',
  ),
  fc.constantFrom(
    'Closes ',
    '**fixes**: ',
    '*',
    'RESOLVED ',
    'Story: ',
    'Refs: ',
    '#comment ',
    '#done',
  ),
  fc.constantFrom('`', '``', '```', '~~~', '```md\n', '<!--', '-->', 'https://x.io/', '---\n'),
  fc.constantFrom('id: AB-1\n', 'title: T\n', 'New-Story: ', 'This reverts commit ', '😀', 'é'),
);
const text = fc.oneof(
  fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join('')),
  fc.string({ maxLength: 200 }),
);
/** Any UTF-16 text, lone surrogates included (cheaper to build than `unit: 'binary'`). */
const anyUtf16 = fc.oneof(
  fc
    .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 300 })
    .map((units) => String.fromCharCode(...units)),
  fc
    .array(
      fc.oneof(
        piece,
        fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
      ),
      { maxLength: 60 },
    )
    .map((parts) => parts.join('')),
);
const config: fc.Arbitrary<ReferenceConfig> = fc.oneof(
  fc.constant(DEFAULT_REFERENCE_CONFIG),
  fc.constant({ ...DEFAULT_REFERENCE_CONFIG, prefixes: ['INT', 'API'] }),
  fc.constant({ ...DEFAULT_REFERENCE_CONFIG, ignoredPrefixes: [], closingWords: ['done'] }),
);
const source = fc.constantFrom('commit' as const, 'pr-title' as const, 'pr-body' as const);

describe('reference finders on arbitrary text', () => {
  it('findTextReferences only returns upper-case ids that occur in the text, once per id', () => {
    fc.assert(
      fc.property(text, source, config, (input, from, settings) => {
        const references = findTextReferences(input, from, settings);
        const upper = input.toUpperCase();
        for (const reference of references) {
          expect(upper).toContain(reference.id);
          expect(reference.id).toMatch(/^[A-Z][A-Z0-9]{1,9}-\d+$/);
          expect(reference.source).toBe(from);
          // evidence is a slice of the text, without markdown emphasis (`**Closes**`)
          const contained =
            input.includes(reference.evidence) ||
            input.replace(/[*_]/g, '').includes(reference.evidence);
          expect(contained).toBe(true);
        }
        const ids = references.map((reference) => reference.id);
        expect(new Set(ids).size).toBe(ids.length);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('findTextReferences never throws on any string', () => {
    fc.assert(
      fc.property(anyUtf16, source, (input, from) => {
        expect(() => findTextReferences(input, from, DEFAULT_REFERENCE_CONFIG)).not.toThrow();
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('findBranchReferences only returns ids that occur in the branch, case-insensitively', () => {
    fc.assert(
      fc.property(text, config, (branch, settings) => {
        for (const reference of findBranchReferences(branch, settings)) {
          expect(branch.toUpperCase()).toContain(reference.id);
          expect(reference.relation).toBe('mentions');
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('smart commands, story documents, trailers and reverts never throw', () => {
    fc.assert(
      fc.property(text, config, (input, settings) => {
        for (const command of findSmartCommands(input, settings)) {
          expect(input).toContain(command.id);
          if (command.command === 'comment') expect(command.text?.trim()).not.toBe('');
        }
        const document = findStoryDocument(input);
        if (document !== undefined) {
          expect(document.startsWith('---')).toBe(true);
          expect(document.endsWith('\n')).toBe(true);
          expect(document.trimEnd()).toBe(document.slice(0, -1));
        }
        for (const title of findNewStoryTrailers(input)) expect(title).toBe(title.trim());
        for (const sha of findRevertedCommits(input)) expect(sha).toMatch(/^[0-9a-f]{40,64}$/);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
