import { describe, expect, it } from 'vitest';
import {
  bookkeepingEdit,
  DEFAULT_STORY_BOOKKEEPING,
  type StatusChange,
} from '../../../src/domain/story/story-bookkeeping.js';
import { editStoryDocument, parseStoryDocument } from '../../../src/domain/story/story-document.js';
import { readFixture } from './story-test-helpers.js';

const INT_003 = readFixture('INT-003.md');
const API_001 = readFixture('API-001.md');
const XBOM_010 = readFixture('XBOM-010.md');

/** A status change made the way storyflow makes it: the status line, then the bookkeeping. */
function changeStatus(
  text: string,
  to: string,
  change: Partial<StatusChange> = {},
  settings = DEFAULT_STORY_BOOKKEEPING,
): string {
  const before = parseStoryDocument(text);
  const moved = editStoryDocument(text, { fields: { status: to } }).document;
  const edit = bookkeepingEdit(
    moved,
    before.fields.last_updated,
    {
      from: before.fields.status as string,
      to,
      date: '2026-12-04',
      person: 'Ada Lovelace',
      ...change,
    },
    settings,
  );
  return edit === undefined ? moved.text : editStoryDocument(moved.text, edit).document.text;
}

describe('story bookkeeping on a status change', () => {
  it('fills Started with the date and person when INT-003 enters in_progress, keeping the line break spaces', () => {
    const after = changeStatus(INT_003, 'in_progress');
    expect(after).toBe(
      INT_003.replace('status: draft', 'status: in_progress')
        .replace('last_updated: 2025-08-28', 'last_updated: 2026-12-04')
        .replace(
          '- Started: [date] by [implementer]  \n',
          '- Started: 2026-12-04 by Ada Lovelace  \n',
        ),
    );
  });

  it('fills Completed at done and Accepted at accepted, each alone', () => {
    const done = changeStatus(API_001.replace('status: done', 'status: in_review'), 'done');
    expect(done).toBe(
      API_001.replace('last_updated: 2025-08-25', 'last_updated: 2026-12-04').replace(
        '- Completed: 2025-08-25',
        '- Completed: 2026-12-04',
      ),
    );
    const accepted = changeStatus(API_001, 'accepted');
    expect(accepted).toBe(
      API_001.replace('status: done', 'status: accepted')
        .replace('last_updated: 2025-08-25', 'last_updated: 2026-12-04')
        .replace('- Accepted: [date]', '- Accepted: 2026-12-04'),
    );
  });

  it('leaves a Started line already filled: only the first start is recorded', () => {
    const restarted = changeStatus(
      API_001.replace('status: done', 'status: blocked'),
      'in_progress',
    );
    expect(restarted).toContain('- Started: 2025-08-14 by implementation-team\n');
  });

  it('touches only the fields turned on', () => {
    const after = changeStatus(
      INT_003,
      'in_progress',
      {},
      { ...DEFAULT_STORY_BOOKKEEPING, lastUpdated: false, started: false },
    );
    expect(after).toBe(INT_003.replace('status: draft', 'status: in_progress'));
    const onlyDate = changeStatus(
      API_001,
      'accepted',
      {},
      { ...DEFAULT_STORY_BOOKKEEPING, accepted: false },
    );
    expect(onlyDate).toBe(
      API_001.replace('status: done', 'status: accepted').replace(
        'last_updated: 2025-08-25',
        'last_updated: 2026-12-04',
      ),
    );
  });

  it('adds nothing to a document without last_updated or lifecycle lines', () => {
    const after = changeStatus(XBOM_010, 'in_review');
    expect(after).toBe(XBOM_010.replace('status: in_progress', 'status: in_review'));
  });

  it('keeps CR LF endings on the rewritten lines', () => {
    const crlf = INT_003.replace(/\n/g, '\r\n');
    const after = changeStatus(crlf, 'in_progress');
    expect(after).toBe(
      crlf
        .replace('status: draft', 'status: in_progress')
        .replace('last_updated: 2025-08-28', 'last_updated: 2026-12-04')
        .replace(
          '- Started: [date] by [implementer]  \r\n',
          '- Started: 2026-12-04 by Ada Lovelace  \r\n',
        ),
    );
  });

  it('keeps a last_updated the change set itself', () => {
    const before = parseStoryDocument(INT_003);
    const moved = editStoryDocument(INT_003, {
      fields: { status: 'ready', last_updated: '2026-01-01' },
    }).document;
    const edit = bookkeepingEdit(
      moved,
      before.fields.last_updated,
      { from: 'draft', to: 'ready', date: '2026-12-04', person: 'ada' },
      DEFAULT_STORY_BOOKKEEPING,
    );
    expect(edit).toBeUndefined();
  });

  it('writes a person name on one line', () => {
    const after = changeStatus(INT_003, 'in_progress', { person: 'evil\nStatus: hacked' });
    expect(after).toContain('- Started: 2026-12-04 by evil Status: hacked  \n');
  });

  it('rewrites only lines of the Story Lifecycle block', () => {
    const text = API_001.replace(
      '## Acceptance Criteria\n',
      '## Acceptance Criteria\nCompleted: when the API is live\n',
    ).replace('status: done', 'status: in_review');
    const after = changeStatus(text, 'done');
    expect(after).toContain('Completed: when the API is live\n');
    expect(after).toContain('- Completed: 2026-12-04\n');
  });
});
