// The write-back commit's words: one story's line is the subject; several get a summary line and
// a line each; one Storyflow-Operation trailer per operation (DESIGN §9).
import { describe, expect, it } from 'vitest';
import {
  changeSummary,
  isWriteBackMessage,
  writeBackMessage,
} from '../../../src/domain/repositories/write-back-message.js';

describe('write-back commit message', () => {
  it('says the status move and the reason', () => {
    expect(
      changeSummary('INT-3', { status: 'in_review' }, { status: 'done' }, 'acme/shop#42 merged'),
    ).toBe('INT-3: in_review → done (acme/shop#42 merged)');
    expect(changeSummary('INT-3', { title: 'a' }, { title: 'b', priority: 2 }, null)).toBe(
      'INT-3: title, priority changed',
    );
    expect(changeSummary('INT-3', {}, {}, 'x\ny'.repeat(100)).length).toBeLessThan(140);
  });

  it('one change: its line is the subject, then its trailer', () => {
    expect(
      writeBackMessage([
        { storyId: 'INT-3', operationId: 'op_1', summary: 'INT-3: in_review → done' },
      ]),
    ).toBe('INT-3: in_review → done\n\nStoryflow-Operation: op_1\n');
  });

  it('several stories: a summary subject, a line each, one trailer per operation', () => {
    const message = writeBackMessage([
      { storyId: 'INT-1', operationId: 'op_1', summary: 'INT-1: ready → in_progress' },
      { storyId: 'INT-2', operationId: 'op_1', summary: 'INT-2: ready → in_progress' },
      { storyId: 'INT-1', operationId: 'op_2', summary: 'INT-1: title changed' },
    ]);
    expect(message).toBe(
      'storyflow: 2 stories changed (INT-1, INT-2)\n\n' +
        '- INT-1: ready → in_progress\n- INT-2: ready → in_progress\n- INT-1: title changed\n\n' +
        'Storyflow-Operation: op_1\nStoryflow-Operation: op_2\n',
    );
    expect(isWriteBackMessage(message)).toBe(true);
    expect(isWriteBackMessage('INT-1: a person wrote Storyflow-Operation: x inline')).toBe(false);
  });
});
