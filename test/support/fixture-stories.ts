// The seed-format fixture stories, read as exact bytes.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURE_STORIES_DIR = fileURLToPath(new URL('../fixtures/stories/', import.meta.url));

/** Every fixture story (the README beside them is not one), by file name. */
export function fixtureStories(): { file: string; id: string; text: string; bytes: Buffer }[] {
  return readdirSync(FIXTURE_STORIES_DIR)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .sort()
    .map((file) => {
      const bytes = readFileSync(`${FIXTURE_STORIES_DIR}${file}`);
      return { file, id: file.replace(/\.md$/, ''), text: bytes.toString('utf8'), bytes };
    });
}
