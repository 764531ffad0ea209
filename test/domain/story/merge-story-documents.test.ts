import { describe, expect, it } from 'vitest';
import { BODY_KEY, mergeStoryDocuments } from '../../../src/domain/story/merge-story-documents.js';
import { parseStoryDocument } from '../../../src/domain/story/story-document.js';
import { StoryDocumentError } from '../../../src/domain/story/story-document-error.js';
import { readFixture } from './story-test-helpers.js';

const INT_003 = readFixture('INT-003.md');
const API_001 = readFixture('API-001.md');
const WIN_009 = readFixture('WIN-009.md');
const XBOM_010 = readFixture('XBOM-010.md');

const replaceOnce = (text: string, from: string, to: string): string => {
  expect(text).toContain(from);
  return text.replace(from, to);
};

describe('mergeStoryDocuments', () => {
  it('keeps both edits when storyflow and the repository changed different keys', () => {
    const ours = replaceOnce(INT_003, 'status: draft', 'status: in_progress');
    const theirs = replaceOnce(
      INT_003,
      'title: CI/CD integration endpoints',
      'title: CI/CD integration endpoints, v2',
    );
    const merged = mergeStoryDocuments(INT_003, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    expect(merged.text).toBe(replaceOnce(theirs, 'status: draft', 'status: in_progress'));
  });

  it('keeps a body edit on one side and a key edit on the other', () => {
    const ours = replaceOnce(API_001, 'status: done', 'status: accepted');
    const theirs = replaceOnce(API_001, '- [x] CRUD endpoints', '- [x] CRUD and search endpoints');
    const merged = mergeStoryDocuments(API_001, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    expect(merged.text).toBe(replaceOnce(theirs, 'status: done', 'status: accepted'));

    const reverse = mergeStoryDocuments(API_001, theirs, ours);
    expect(reverse.text).toBe(merged.text);
  });

  it("takes the repository's value for a key changed on both sides and reports the conflict", () => {
    const ours = replaceOnce(INT_003, 'status: draft', 'status: in_progress');
    const theirs = replaceOnce(INT_003, 'status: draft', 'status: ready');
    const merged = mergeStoryDocuments(INT_003, ours, theirs);
    expect(merged.text).toBe(theirs);
    expect(merged.conflicts).toEqual([{ key: 'status', ours: 'in_progress', theirs: 'ready' }]);
  });

  it('is no conflict when both sides made the same change', () => {
    const ours = replaceOnce(
      replaceOnce(INT_003, 'status: draft', 'status: ready'),
      'priority: medium',
      'priority: low',
    );
    const theirs = replaceOnce(INT_003, 'status: draft', 'status: ready');
    const merged = mergeStoryDocuments(INT_003, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    expect(merged.text).toBe(replaceOnce(theirs, 'priority: medium', 'priority: low'));
  });

  it('takes the repository body when both sides changed it, as a body conflict', () => {
    const ours = replaceOnce(API_001, '- Accepted: [date]', '- Accepted: 2026-12-04');
    const theirs = replaceOnce(API_001, '- [x] CRUD endpoints', '- [x] CRUD endpoints (v1)');
    const merged = mergeStoryDocuments(API_001, ours, theirs);
    expect(merged.text).toBe(theirs);
    expect(merged.conflicts).toEqual([
      {
        key: BODY_KEY,
        ours: parseStoryDocument(ours).body,
        theirs: parseStoryDocument(theirs).body,
      },
    ]);
  });

  it('keeps the repository key order and appends a key storyflow added', () => {
    // The person moved `status` to the end of the frontmatter; storyflow set it and added a key.
    const theirs = replaceOnce(
      replaceOnce(INT_003, 'status: draft\n', ''),
      'last_updated: 2025-08-28\n',
      'last_updated: 2025-08-28\nstatus: draft\n',
    );
    const ours = replaceOnce(
      replaceOnce(INT_003, 'status: draft', 'status: ready'),
      'last_updated: 2025-08-28\n',
      'last_updated: 2025-08-28\nreviewer: ada\n',
    );
    const merged = mergeStoryDocuments(INT_003, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    const fields = Object.keys(parseStoryDocument(merged.text).fields);
    expect(fields.indexOf('status')).toBe(fields.indexOf('last_updated') + 1);
    expect(fields.at(-1)).toBe('reviewer');
    expect(merged.text.startsWith(theirs.slice(0, theirs.indexOf('status: draft')))).toBe(true);
  });

  it('removes a key storyflow removed, and keeps one the repository removed', () => {
    const ours = replaceOnce(INT_003, 'priority: medium\n', '');
    const theirs = replaceOnce(INT_003, 'estimate: "4sp"\n', '');
    const merged = mergeStoryDocuments(INT_003, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    expect(merged.text).toBe(replaceOnce(theirs, 'priority: medium\n', ''));
  });

  it('reports a key storyflow changed and the repository removed as a conflict', () => {
    const ours = replaceOnce(INT_003, 'priority: medium', 'priority: low');
    const theirs = replaceOnce(INT_003, 'priority: medium\n', '');
    const merged = mergeStoryDocuments(INT_003, ours, theirs);
    expect(merged.text).toBe(theirs);
    expect(merged.conflicts).toEqual([{ key: 'priority', ours: 'low', theirs: undefined }]);
  });

  it('keeps CR LF line endings of the repository file', () => {
    const ours = replaceOnce(WIN_009, 'status: blocked', 'status: ready');
    const theirs = replaceOnce(WIN_009, "the body's last line too.", "the body's last line, too.");
    const merged = mergeStoryDocuments(WIN_009, ours, theirs);
    expect(merged.conflicts).toEqual([]);
    expect(merged.text).toBe(replaceOnce(theirs, 'status: blocked', 'status: ready'));
    expect(
      merged.text
        .split('\n')
        .slice(0, -1)
        .every((line) => line.endsWith('\r')),
    ).toBe(true);
  });

  it('keeps the byte-order mark of the repository file', () => {
    const ours = replaceOnce(XBOM_010, 'status: in_progress', 'status: in_review');
    const theirs = replaceOnce(XBOM_010, 'labels: [bytes]', 'labels: [bytes, bom]');
    const merged = mergeStoryDocuments(XBOM_010, ours, theirs);
    expect(merged.text.startsWith('\ufeff---\n')).toBe(true);
    expect(merged.text).toBe(replaceOnce(theirs, 'status: in_progress', 'status: in_review'));
  });

  it('answers one side unchanged when only the other moved', () => {
    const theirs = replaceOnce(INT_003, 'priority: medium', 'priority: low');
    expect(mergeStoryDocuments(INT_003, INT_003, theirs)).toEqual({ text: theirs, conflicts: [] });
    expect(mergeStoryDocuments(INT_003, theirs, INT_003)).toEqual({ text: theirs, conflicts: [] });
  });

  it('refuses a side that is not a story document', () => {
    const ours = replaceOnce(INT_003, 'priority: medium', 'priority: low');
    expect(() => mergeStoryDocuments(INT_003, ours, 'no frontmatter')).toThrow(StoryDocumentError);
  });
});
