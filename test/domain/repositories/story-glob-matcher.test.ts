import { describe, expect, it } from 'vitest';
import { storyGlobMatcher } from '../../../src/domain/repositories/story-glob-matcher.js';

describe('storyGlobMatcher', () => {
  it.each([
    ['docs/stories/**/*.md', 'docs/stories/INT-1.md', true],
    ['docs/stories/**/*.md', 'docs/stories/epics/a/INT-1.md', true],
    ['docs/stories/**/*.md', 'docs/stories/INT-1.txt', false],
    ['docs/stories/**/*.md', 'docs/other/INT-1.md', false],
    ['docs/stories/**/*.md', 'xdocs/stories/INT-1.md', false],
    ['docs/stories/*.md', 'docs/stories/a/INT-1.md', false],
    ['docs/stories/*.md', 'docs/stories/INT-1.md', true],
    ['**/*.md', 'README.md', true],
    ['**/*.md', 'a/b/c.md', true],
    ['stories/**', 'stories/a/b', true],
    ['stories/INT-?.md', 'stories/INT-1.md', true],
    ['stories/INT-?.md', 'stories/INT-10.md', false],
    ['stories/*.{md,markdown}', 'stories/a.markdown', true],
    ['stories/*.{md,markdown}', 'stories/a.txt', false],
    ['docs/stories (old)/*.md', 'docs/stories (old)/a.md', true],
    ['docs/a.b/*.md', 'docs/aXb/a.md', false],
  ])('%s matches %s: %s', (glob, path, expected) => {
    expect(storyGlobMatcher(glob)(path)).toBe(expected);
  });
});
