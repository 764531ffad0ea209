import { afterEach, beforeEach, expect, it } from 'vitest';
import type { FieldChange } from '../../../src/domain/rules/plan-event.js';
import { STORY_FIELD } from '../../../src/services/automation/create-stories.js';
import { revertChanges } from '../../../src/services/automation/revert-changes.js';
import { describeEachStore } from '../../support/store-factories.js';
import { type Harness, harness, PERSON, storyDocument } from './automation-harness.js';

describeEachStore('revertChanges', (open) => {
  let h: Harness;
  beforeEach(async () => {
    h = harness(await open());
    await h.seed({
      id: 'INT-003',
      title: 'CI',
      status: 'in_review',
      labels: ['api', 'ci-failing'],
    });
  });
  afterEach(async () => {
    await h.store.close();
  });

  const revert = (changes: FieldChange[], options: { force?: boolean; dryRun?: boolean } = {}) =>
    h.store.transaction((tx) =>
      revertChanges(tx, h.stories, changes, {
        force: options.force ?? false,
        dryRun: options.dryRun ?? false,
        context: { ...PERSON, operationId: 'op_revert' },
        action: 'story.rolled_back',
      }),
    );
  const moved: FieldChange = {
    story: 'INT-003',
    field: 'status',
    before: 'in_progress',
    after: 'in_review',
  };
  const labelled: FieldChange = {
    story: 'INT-003',
    field: 'labels',
    before: ['api'],
    after: ['api', 'ci-failing'],
  };

  it('restores every field that still holds what the change left', async () => {
    const result = await revert([moved, labelled]);
    expect(result.conflicts).toEqual([]);
    expect(result.changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'in_review', after: 'in_progress' },
      { story: 'INT-003', field: 'labels', before: ['api', 'ci-failing'], after: ['api'] },
    ]);
    expect(await h.story('INT-003')).toMatchObject({
      status: 'in_progress',
      labels: ['api'],
      version: 2,
    });
  });

  it('a dry run reports the same and changes nothing', async () => {
    const result = await revert([moved, labelled], { dryRun: true });
    expect(result.changes).toHaveLength(2);
    expect(await h.story('INT-003')).toMatchObject({ status: 'in_review', version: 1 });
  });

  it('leaves a field changed since and reports it; restores the others', async () => {
    await h.stories.transition('INT-003', 'done', undefined, PERSON);
    const result = await revert([moved, labelled]);
    expect(result.conflicts).toEqual([
      { story: 'INT-003', field: 'status', expected: 'in_review', actual: 'done' },
    ]);
    expect(result.changes).toEqual([
      { story: 'INT-003', field: 'labels', before: ['api', 'ci-failing'], after: ['api'] },
    ]);
    expect(await h.story('INT-003')).toMatchObject({ status: 'done', labels: ['api'] });
  });

  it('with force, overwrites the field changed since (and still names it)', async () => {
    await h.stories.transition('INT-003', 'done', undefined, PERSON);
    const result = await revert([moved], { force: true });
    expect(result.conflicts).toHaveLength(1);
    expect(result.changes).toEqual([
      { story: 'INT-003', field: 'status', before: 'done', after: 'in_progress' },
    ]);
    expect((await h.story('INT-003')).status).toBe('in_progress');
  });

  it('a field already back at its value before is neither a change nor a conflict', async () => {
    await h.stories.transition('INT-003', 'in_progress', undefined, PERSON);
    const result = await revert([moved]);
    expect(result).toEqual({ changes: [], conflicts: [] });
  });

  it('the field changes are audited under the reverting operation', async () => {
    await revert([moved]);
    const history = await h.store.audit.list({ story: 'INT-003', limit: 10 });
    expect(history.at(-1)).toMatchObject({ action: 'story.rolled_back', operationId: 'op_revert' });
  });

  it('a story that is gone is a conflict for each field', async () => {
    await h.stories.delete('INT-003', undefined, PERSON);
    const result = await revert([moved, labelled]);
    expect(result.conflicts).toEqual([
      { story: 'INT-003', field: 'status', expected: 'in_review', actual: null },
      { story: 'INT-003', field: 'labels', expected: ['api', 'ci-failing'], actual: null },
    ]);
  });

  it('a story the change created is deleted, unless it changed since (then forced)', async () => {
    const document = storyDocument({ id: 'NEW-001', title: 'New', status: 'draft' });
    await h.stories.importDocuments([document], PERSON);
    const created: FieldChange = {
      story: 'NEW-001',
      field: STORY_FIELD,
      before: null,
      after: document,
    };
    await h.stories.transition('NEW-001', 'ready', undefined, PERSON);
    const refused = await revert([created]);
    expect(refused.conflicts).toMatchObject([
      { story: 'NEW-001', field: STORY_FIELD, expected: document },
    ]);
    expect(await h.store.stories.getStory('NEW-001')).toBeDefined();
    const forced = await revert([created], { force: true });
    expect(forced.changes).toMatchObject([{ story: 'NEW-001', field: STORY_FIELD, after: null }]);
    expect(await h.store.stories.getStory('NEW-001')).toBeUndefined();
    // Gone already: nothing to do.
    expect(await revert([created])).toEqual({ changes: [], conflicts: [] });
  });

  it('a story the change deleted is brought back with its document', async () => {
    const before = (await h.store.stories.getStory('INT-003'))?.document ?? '';
    await h.stories.delete('INT-003', undefined, PERSON);
    const result = await revert([{ story: 'INT-003', field: STORY_FIELD, before, after: null }]);
    expect(result).toEqual({
      changes: [{ story: 'INT-003', field: STORY_FIELD, before: null, after: before }],
      conflicts: [],
    });
    expect((await h.store.stories.getStory('INT-003'))?.document).toBe(before);
  });
});
