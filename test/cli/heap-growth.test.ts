// `serve` keeps V8 from growing its heaps by up to 4x between full collections (RSS under a
// burst), unless the node command line chose a growing factor itself.
import { expect, it } from 'vitest';
import { limitHeapGrowth, SERVE_HEAP_GROWING_PERCENT } from '../../src/cli/heap-growth.js';

it('sets a heap growing factor of 1.35 when the node command line sets none', () => {
  const set: string[] = [];
  expect(limitHeapGrowth(['--max-semi-space-size=4'], (flag) => set.push(flag))).toBe(
    '--heap-growing-percent=35',
  );
  expect(set).toEqual(['--heap-growing-percent=35']);
  expect(SERVE_HEAP_GROWING_PERCENT).toBe(35);
});

it("leaves the factor to the node command line when it sets one, in either of V8's spellings", () => {
  for (const arg of ['--heap-growing-percent=50', '--heap_growing_percent=50']) {
    const set: string[] = [];
    expect(limitHeapGrowth(['--max-semi-space-size=4', arg], (flag) => set.push(flag))).toBeNull();
    expect(set).toEqual([]);
  }
});
