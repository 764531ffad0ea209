// Parsing a story document is linear in its number of frontmatter keys (security review
// finding 3: `lineAt` scanned from the start for every key and `yaml`'s unique-key check
// compared every key with every earlier one, so 2,000 keys took 383 ms and 8,000 keys 3.4 s).
import { describe, expect, it } from 'vitest';
import { parseFrontmatter } from '../../../src/domain/story/parse-frontmatter.js';
import { parseStoryDocument } from '../../../src/domain/story/story-document.js';
import { issuesOf } from './story-test-helpers.js';

/** `count` frontmatter lines `kN: N` after `id` and `title` (the review's reproduction). */
function frontmatter(count: number, salt = ''): string {
  const keys = Array.from({ length: count }, (_, index) => `k${index}: ${index}${salt}`);
  return `${['id: KEYS-001', 'title: keys', ...keys].join('\n')}\n`;
}

describe('parse time grows linearly with the number of keys', () => {
  // The issue: "n = 1k, 4k, 16k within 20× of each other per 16× keys", read as t(16k) ≤ 20 ×
  // t(1k) (and so t(4k) ≤ 20 × t(1k) too): 16× the keys may cost 16× the time plus 25% for
  // noise and garbage collection; a quadratic parse costs about 256×. Each size is timed as
  // the fastest of 3 runs, the sizes interleaved so that they share the machine's load; the
  // ratio is measured up to 6 times and the best counts, since load only ever makes one
  // measurement slower, never a linear parse quadratic.
  it('16× the keys take at most 20× the time (1k, 4k and 16k keys)', () => {
    const sizes = [1_000, 4_000, 16_000];
    const ratios: number[][] = [];
    for (let trial = 0; trial < 6; trial++) {
      const best = sizes.map(() => Number.POSITIVE_INFINITY);
      for (let round = 0; round < 3; round++) {
        sizes.forEach((size, index) => {
          const source = frontmatter(size, `${trial}${round}`); // a new text every time
          const started = performance.now();
          const parsed = parseFrontmatter(source, 1);
          const took = performance.now() - started;
          expect(parsed.entries).toHaveLength(size + 2);
          best[index] = Math.min(best[index] as number, took);
        });
      }
      const [t1k, t4k, t16k] = best as [number, number, number];
      ratios.push([t4k / t1k, t16k / t1k]);
      if (t16k <= 20 * t1k && t4k <= 20 * t1k) break;
    }
    const [bestFourfold, bestSixteenfold] = ratios
      .slice()
      .sort((a, b) => (a[1] as number) - (b[1] as number))[0] as [number, number];
    expect(
      bestSixteenfold,
      `ratios t(4k)/t(1k), t(16k)/t(1k): ${JSON.stringify(ratios)}`,
    ).toBeLessThanOrEqual(20);
    expect(bestFourfold).toBeLessThanOrEqual(20);
  }, 120_000);

  it('lines and duplicate keys are still reported exactly in a large frontmatter', () => {
    const text = `---\n${frontmatter(10_000)}k9998: again\n---\n`;
    expect(issuesOf(() => parseStoryDocument(text))).toEqual([
      { field: 'k9998', line: 10_004, message: 'duplicate key "k9998"' },
    ]);
    const nested = `---\n${frontmatter(5_000)}meta:\n  a: 1\n  b: 2\n  a: 3\n---\n`;
    expect(issuesOf(() => parseStoryDocument(nested))).toEqual([
      { field: 'meta', line: 5_007, message: 'Map keys must be unique' },
    ]);
  });
});
