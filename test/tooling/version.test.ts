import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';

const ROOT = join(import.meta.dirname, '../..');
const PACKAGE_VERSION: string = JSON.parse(
  readFileSync(join(ROOT, 'package.json'), 'utf8'),
).version;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('the version', () => {
  it('is the one in package.json', () => {
    expect(VERSION).toBe(PACKAGE_VERSION);
  });

  it('is written nowhere in src/: the CLI, the OpenAPI document and the action read package.json', () => {
    const literal = `'${PACKAGE_VERSION}'`;
    const writers = sources(join(ROOT, 'src')).filter((file) =>
      readFileSync(file, 'utf8').includes(literal),
    );
    expect(writers).toEqual([]);
  });
});
