import { describe, expect, it } from 'vitest';
import {
  parseStoryDocument,
  renderStoryDocument,
  updateStoryDocument,
} from '../../../src/domain/story/story-document.js';
import { StoryDocumentError } from '../../../src/domain/story/story-document-error.js';
import { issuesOf, readFixture } from './story-test-helpers.js';

const int003 = readFixture('INT-003.md');

describe('documents that cannot be read', () => {
  it('a document without a leading `---` line is rejected on line 1', () => {
    const issues = issuesOf(() => parseStoryDocument('# Just markdown\n\nid: AB-1\n'));
    expect(issues).toEqual([{ line: 1, message: expect.stringContaining('---') }]);
  });

  it('an empty document is rejected on line 1', () => {
    expect(issuesOf(() => parseStoryDocument(''))).toEqual([
      { line: 1, message: expect.any(String) },
    ]);
  });

  it('a frontmatter block that is never closed is rejected on its opening line', () => {
    const issues = issuesOf(() => parseStoryDocument('---\nid: AB-1\ntitle: T\n\n# Body\n'));
    expect(issues).toEqual([{ line: 1, message: expect.stringContaining('never closed') }]);
  });

  it('a YAML syntax error names the line and the field', () => {
    const text = '---\nid: AB-1\ntitle: T\nlabels: [a, b\nstatus: draft\n---\n';
    const issues = issuesOf(() => parseStoryDocument(text));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ field: 'labels', line: expect.any(Number) });
    expect(issues[0]?.line).toBeGreaterThanOrEqual(4);
  });

  it('an unclosed quote is a syntax error on the field', () => {
    const issues = issuesOf(() => parseStoryDocument('---\nid: AB-1\ntitle: "T\n---\n'));
    expect(issues[0]).toMatchObject({ field: 'title', line: expect.any(Number) });
  });

  it('frontmatter that is a list instead of a mapping is rejected', () => {
    const issues = issuesOf(() => parseStoryDocument('---\n- id\n- title\n---\n'));
    expect(issues).toEqual([{ line: 2, message: expect.stringContaining('mapping') }]);
  });

  it('empty frontmatter is rejected', () => {
    const issues = issuesOf(() => parseStoryDocument('---\n---\nbody\n'));
    expect(issues).toEqual([{ line: 2, message: expect.stringContaining('mapping') }]);
  });

  it('a duplicate key names the field and the line of the repeat', () => {
    const issues = issuesOf(() => parseStoryDocument('---\nid: AB-1\ntitle: T\nid: AB-2\n---\n'));
    expect(issues).toEqual([{ field: 'id', line: 4, message: 'duplicate key "id"' }]);
  });

  it('a duplicate key inside a nested mapping names the top-level field', () => {
    const text = '---\nid: AB-1\ntitle: T\nmeta:\n  a: 1\n  a: 2\n---\n';
    expect(issuesOf(() => parseStoryDocument(text))[0]).toMatchObject({ field: 'meta', line: 6 });
  });

  it('a value JSON cannot hold (.nan) is rejected with its field and line', () => {
    const issues = issuesOf(() =>
      parseStoryDocument('---\nid: AB-1\ntitle: T\nscore: .nan\n---\n'),
    );
    expect(issues).toEqual([{ field: 'score', line: 4, message: expect.stringContaining('JSON') }]);
  });

  it('a bad id names the id field and its line', () => {
    const issues = issuesOf(() => parseStoryDocument('---\ntitle: T\nid: api-1\n---\n'));
    expect(issues).toEqual([{ field: 'id', line: 3, message: expect.stringContaining('api-1') }]);
  });

  it('a missing title names the title field', () => {
    const issues = issuesOf(() => parseStoryDocument('---\nid: AB-1\nstatus: draft\n---\n'));
    expect(issues).toEqual([{ field: 'title', message: 'title is required' }]);
  });

  it('labels that are not a list name the labels field and its line', () => {
    const text = '---\nid: AB-1\ntitle: T\nlabels: api, core\n---\n';
    expect(issuesOf(() => parseStoryDocument(text))).toEqual([
      { field: 'labels', line: 4, message: expect.stringContaining('list of strings') },
    ]);
  });

  it('the error message lists every issue with its line and field', () => {
    try {
      parseStoryDocument('---\nid: nope\ntitle: ""\n---\n');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StoryDocumentError);
      const { message, issues } = error as StoryDocumentError;
      expect(issues.map((issue) => [issue.field, issue.line])).toEqual([
        ['id', 2],
        ['title', 3],
      ]);
      expect(message).toContain('line 2, field "id"');
      expect(message).toContain('line 3, field "title"');
    }
  });
});

describe('changes that would make the story invalid', () => {
  it('setting a bad id is refused with the id field and its line', () => {
    expect(issuesOf(() => updateStoryDocument(int003, { fields: { id: 'int 3' } }))).toEqual([
      { field: 'id', line: 2, message: expect.any(String) },
    ]);
  });

  it('removing the title is refused', () => {
    expect(issuesOf(() => updateStoryDocument(int003, { fields: { title: undefined } }))).toEqual([
      { field: 'title', message: 'title is required' },
    ]);
  });

  it('setting labels to a string is refused', () => {
    const issues = issuesOf(() => updateStoryDocument(int003, { fields: { labels: 'ci' } }));
    expect(issues).toEqual([{ field: 'labels', line: 10, message: expect.any(String) }]);
  });

  it('a dependency that is not a story id is refused', () => {
    const issues = issuesOf(() =>
      updateStoryDocument(int003, { fields: { dependencies: ['API-001', 'later'] } }),
    );
    expect(issues).toEqual([
      { field: 'dependencies', line: 9, message: expect.stringContaining('later') },
    ]);
  });

  it('a non-finite number is refused', () => {
    const issues = issuesOf(() => updateStoryDocument(int003, { fields: { score: Number.NaN } }));
    expect(issues).toEqual([{ field: 'score', message: expect.any(String) }]);
  });

  it('an update of a document that cannot be read reports why', () => {
    expect(issuesOf(() => updateStoryDocument('no frontmatter', { fields: { a: 1 } }))).toEqual([
      { line: 1, message: expect.any(String) },
    ]);
  });

  it('an update can repair a story whose fields are invalid', () => {
    const broken = '---\nid: AB-1\nstatus: draft\n---\n';
    expect(updateStoryDocument(broken, { fields: { title: 'Fixed' } })).toBe(
      '---\nid: AB-1\nstatus: draft\ntitle: Fixed\n---\n',
    );
  });

  it('rendering a story without an id is refused', () => {
    expect(issuesOf(() => renderStoryDocument({ title: 'T' }, ''))).toEqual([
      { field: 'id', message: 'id is required' },
    ]);
  });
});
