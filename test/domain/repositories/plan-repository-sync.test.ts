import { describe, expect, it } from 'vitest';
import { planRepositorySync } from '../../../src/domain/repositories/plan-repository-sync.js';

const file = (path: string, id: string, previousPath?: string) => ({
  path,
  blobSha: `blob-${path}`,
  parsed: { id },
  ...(previousPath === undefined ? {} : { previousPath }),
});

describe('planRepositorySync', () => {
  it('imports new and changed files, each bound to its path', () => {
    const plan = planRepositorySync(
      [{ path: 'a.md', storyId: 'INT-1' }],
      [file('a.md', 'INT-1'), file('b.md', 'INT-2')],
      [],
    );
    expect(plan.imports.map((entry) => [entry.path, entry.storyId])).toEqual([
      ['a.md', 'INT-1'],
      ['b.md', 'INT-2'],
    ]);
    expect(plan.unbinds).toEqual([]);
    expect(plan.conflicts).toEqual([]);
  });

  it('a rename moves the binding and unbinds nothing', () => {
    const plan = planRepositorySync(
      [{ path: 'a.md', storyId: 'INT-1' }],
      [file('done/a.md', 'INT-1', 'a.md')],
      [],
    );
    expect(plan.imports).toEqual([
      { path: 'done/a.md', previousPath: 'a.md', blobSha: 'blob-done/a.md', storyId: 'INT-1' },
    ]);
    expect(plan.unbinds).toEqual([]);
  });

  it('a deleted bound file unbinds its story; a delete plus an add of the same id is a move', () => {
    const deleted = planRepositorySync([{ path: 'a.md', storyId: 'INT-1' }], [], ['a.md']);
    expect(deleted.unbinds).toEqual([{ path: 'a.md', storyId: 'INT-1', cause: 'deleted' }]);
    const moved = planRepositorySync(
      [{ path: 'a.md', storyId: 'INT-1' }],
      [file('b.md', 'INT-1')],
      ['a.md'],
    );
    expect(moved.unbinds).toEqual([]);
    expect(moved.imports).toEqual([
      { path: 'b.md', previousPath: 'a.md', blobSha: 'blob-b.md', storyId: 'INT-1' },
    ]);
  });

  it('two files with one id are a conflict, new or already bound; neither is imported', () => {
    const both = planRepositorySync([], [file('a.md', 'INT-1'), file('b.md', 'INT-1')], []);
    expect(both.conflicts).toEqual([{ storyId: 'INT-1', paths: ['a.md', 'b.md'] }]);
    expect(both.imports).toEqual([]);
    const copy = planRepositorySync(
      [{ path: 'a.md', storyId: 'INT-1' }],
      [file('copy.md', 'INT-1')],
      [],
    );
    expect(copy.conflicts).toEqual([{ storyId: 'INT-1', paths: ['a.md', 'copy.md'] }]);
    expect(copy.imports).toEqual([]);
  });

  it('a file that now holds another id rebinds; the story it held is unbound', () => {
    const plan = planRepositorySync(
      [{ path: 'a.md', storyId: 'INT-1' }],
      [file('a.md', 'INT-2')],
      [],
    );
    expect(plan.imports.map((entry) => entry.storyId)).toEqual(['INT-2']);
    expect(plan.unbinds).toEqual([{ path: 'a.md', storyId: 'INT-1', cause: 'id-changed' }]);
  });

  it('a file that is not a story is an error, and leaves its binding alone', () => {
    const plan = planRepositorySync(
      [{ path: 'a.md', storyId: 'INT-1' }],
      [{ path: 'a.md', blobSha: 'x', parsed: { error: 'frontmatter is missing' } }],
      [],
    );
    expect(plan.errors).toEqual([{ path: 'a.md', message: 'frontmatter is missing' }]);
    expect(plan.imports).toEqual([]);
    expect(plan.unbinds).toEqual([]);
  });
});
