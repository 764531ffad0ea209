// The vitest globalSetup that keeps dist/ in step with src/ (test/support/build-dist.ts).
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { consoleBundleIsStale, staleSources } from '../support/build-dist.js';

describe('staleSources (which src/ files dist/ lacks or holds an older build of)', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function tree(files: Record<string, number>): string {
    const root = mkdtempSync(join(tmpdir(), 'storyflow-build-dist-'));
    roots.push(root);
    for (const [path, mtimeSeconds] of Object.entries(files)) {
      const file = join(root, path);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, '');
      utimesSync(file, mtimeSeconds, mtimeSeconds);
    }
    return root;
  }

  it('finds nothing when every source has a newer build', () => {
    const root = tree({
      'src/main.ts': 100,
      'src/a/b.ts': 100,
      'dist/main.js': 200,
      'dist/a/b.js': 200,
    });
    expect(staleSources(root)).toEqual([]);
  });

  it('names a source edited after the build, and one never built', () => {
    const root = tree({
      'src/main.ts': 300,
      'src/a/b.ts': 100,
      'src/a/new.ts': 100,
      'dist/main.js': 200,
      'dist/a/b.js': 200,
    });
    expect(staleSources(root).sort()).toEqual(
      [join(root, 'src/a/new.ts'), join(root, 'src/main.ts')].sort(),
    );
  });

  it('finds every source stale when there is no dist/ at all', () => {
    const root = tree({ 'src/main.ts': 100 });
    expect(staleSources(root)).toEqual([join(root, 'src/main.ts')]);
  });

  it('ignores declaration files and files that are not TypeScript', () => {
    const root = tree({ 'src/types.d.ts': 300, 'src/data.json': 300 });
    expect(staleSources(root)).toEqual([]);
  });

  it('finds the console bundle stale when it is missing or older than a file under client/', () => {
    const bundle = { 'dist/console/console.js': 200, 'dist/console/console.css': 200 };
    expect(consoleBundleIsStale(tree({ 'client/console.ts': 100, ...bundle }))).toBe(false);
    expect(consoleBundleIsStale(tree({ 'client/console.ts': 300, ...bundle }))).toBe(true);
    expect(consoleBundleIsStale(tree({ 'client/console.css': 300, ...bundle }))).toBe(true);
    expect(
      consoleBundleIsStale(tree({ 'client/console.ts': 100, 'dist/console/console.js': 200 })),
    ).toBe(true);
  });
});
