import { describe, expect, it } from 'vitest';
import { nextFreeId } from '../../../src/services/automation/create-stories.js';

describe('nextFreeId', () => {
  it.each<[string, string[], string]>([
    ['STORY', [], 'STORY-001'],
    ['INT', ['INT-001', 'INT-002', 'INT-009'], 'INT-010'],
    ['INT', ['INT-009', 'INT-003'], 'INT-010'],
    ['INT', ['INT-0007'], 'INT-0008'],
    ['INT', ['INT-001', 'INT-0002'], 'INT-0003'],
    ['INT', ['INT-1'], 'INT-002'],
    ['INT', ['INT-999'], 'INT-1000'],
    ['INT', ['INT-12A', 'INT-004'], 'INT-005'],
    ['INT', ['INTX-050', 'INT-004'], 'INT-005'],
  ])('%s after %j → %s', (prefix, existing, expected) => {
    expect(nextFreeId(prefix, existing)).toBe(expected);
  });
});
