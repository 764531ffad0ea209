import { describe, expect, it } from 'vitest';
import {
  allowedTransitions,
  canTransition,
  DEFAULT_WORKFLOW,
  validateWorkflow,
} from '../../../src/domain/story/workflow.js';

describe('default workflow', () => {
  it.each([
    ['draft', 'ready', true],
    ['ready', 'in_progress', true],
    ['in_progress', 'in_review', true],
    ['in_review', 'done', true],
    ['done', 'accepted', true],
    ['in_review', 'in_progress', true],
    ['draft', 'accepted', false],
    ['accepted', 'draft', false],
    ['done', 'blocked', false],
    ['cancelled', 'in_progress', false],
  ])('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(DEFAULT_WORKFLOW, from, to)).toBe(allowed);
  });

  it('every open status can be blocked or cancelled', () => {
    for (const status of ['draft', 'ready', 'in_progress', 'in_review']) {
      expect(allowedTransitions(DEFAULT_WORKFLOW, status)).toEqual(
        expect.arrayContaining(['blocked', 'cancelled']),
      );
    }
  });

  it('is valid and frozen', () => {
    expect(validateWorkflow(DEFAULT_WORKFLOW)).toEqual([]);
    expect(Object.isFrozen(DEFAULT_WORKFLOW.transitions)).toBe(true);
  });
});
