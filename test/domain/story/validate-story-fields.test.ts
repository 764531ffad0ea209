import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../src/domain/story/story-document.js';
import {
  KNOWN_STORY_FIELDS,
  STORY_ID_PATTERN,
  validateStoryFields,
} from '../../../src/domain/story/validate-story-fields.js';

const valid = { id: 'API-001', title: 'A story' };
const fieldsOf = (issues: { field?: string }[]) => issues.map((issue) => issue.field);

describe('validateStoryFields', () => {
  it('accepts a minimal story with only id and title', () => {
    expect(validateStoryFields(valid)).toEqual([]);
  });

  it('accepts a complete story and unknown fields of any type', () => {
    const fields: Record<string, JsonValue> = {
      ...valid,
      branch_name: null,
      epic: 'api',
      status: 'draft',
      priority: null,
      estimate: 3,
      dependencies: ['INF-015', 'UI-7'],
      labels: [],
      created: '2025-08-12',
      author: 'me',
      owner: null,
      last_updated: null,
      market: { anything: [1, true] },
    };
    expect(validateStoryFields(fields)).toEqual([]);
    expect(validateStoryFields({ ...valid, estimate: '3sp' })).toEqual([]);
    expect(validateStoryFields({ ...valid, estimate: null })).toEqual([]);
  });

  it('requires id and title', () => {
    expect(validateStoryFields({})).toEqual([
      { field: 'id', message: 'id is required' },
      { field: 'title', message: 'title is required' },
    ]);
  });

  it.each(['api-001', 'A-1', 'API001', 'API-', 'ABCDEFGHIJK-1', ' API-1', 'API-1 '])(
    'rejects the id %j',
    (id) => {
      expect(fieldsOf(validateStoryFields({ ...valid, id }))).toEqual(['id']);
    },
  );

  it('rejects an id that is not a string', () => {
    expect(validateStoryFields({ ...valid, id: 1 })).toEqual([
      { field: 'id', message: 'id must be a string, got 1' },
    ]);
  });

  it.each(['', '   ', null, 5, ['x']])('rejects the title %j', (title) => {
    expect(fieldsOf(validateStoryFields({ ...valid, title }))).toEqual(['title']);
  });

  it.each(['', null, 1])('rejects the status %j when present', (status) => {
    expect(fieldsOf(validateStoryFields({ ...valid, status }))).toEqual(['status']);
  });

  it.each([
    ['labels', 'api'],
    ['labels', null],
    ['labels', [1]],
    ['dependencies', 'API-1'],
    ['dependencies', ['API-1', 2]],
  ])('rejects %s that is not a list of strings: %j', (field, value) => {
    const issues = validateStoryFields({ ...valid, [field]: value as JsonValue });
    expect(issues).toEqual([{ field, message: expect.stringContaining('list of strings') }]);
  });

  it('rejects dependencies that are not story ids', () => {
    expect(validateStoryFields({ ...valid, dependencies: ['API-1', 'soon'] })).toEqual([
      { field: 'dependencies', message: 'dependencies item 2: "soon" is not a story id' },
    ]);
  });

  it.each(['priority', 'epic', 'branch_name', 'owner', 'author', 'created', 'last_updated'])(
    '%s must be a string or null',
    (field) => {
      expect(validateStoryFields({ ...valid, [field]: 'x' })).toEqual([]);
      expect(validateStoryFields({ ...valid, [field]: null })).toEqual([]);
      expect(validateStoryFields({ ...valid, [field]: 3 })).toEqual([
        { field, message: `${field} must be a string or null` },
      ]);
    },
  );

  it('estimate may be a string, a number or null but not a list', () => {
    expect(fieldsOf(validateStoryFields({ ...valid, estimate: ['3'] }))).toEqual(['estimate']);
    expect(fieldsOf(validateStoryFields({ ...valid, estimate: true }))).toEqual(['estimate']);
  });

  it('names the line of each key when a line map is given', () => {
    const issues = validateStoryFields(
      { id: 'bad', labels: 'x', title: 'ok' },
      { id: 2, labels: 3, title: 4 },
    );
    expect(issues).toEqual([
      { field: 'id', line: 2, message: expect.any(String) },
      { field: 'labels', line: 3, message: expect.any(String) },
    ]);
  });

  it('reports every problem, not just the first', () => {
    const issues = validateStoryFields({ id: 'x', title: '', status: '', owner: 1 });
    expect(fieldsOf(issues)).toEqual(['id', 'title', 'status', 'owner']);
  });

  it('exports the story id pattern and the canonical field order', () => {
    expect(STORY_ID_PATTERN.test('INT-003')).toBe(true);
    expect(STORY_ID_PATTERN.test('A1B2C3D4E5-42')).toBe(true);
    expect(KNOWN_STORY_FIELDS).toEqual([
      'id',
      'title',
      'branch_name',
      'epic',
      'status',
      'priority',
      'estimate',
      'dependencies',
      'labels',
      'created',
      'author',
      'owner',
      'last_updated',
    ]);
  });
});
