// The seed-format fixture stories, read as exact bytes.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURE_STORIES_DIR = fileURLToPath(new URL('../fixtures/stories/', import.meta.url));

/** The fixtures that are there to prove bytes: multi-byte UTF-8, CR LF, a BOM, no final newline. */
export const BYTE_FIXTURE_IDS: readonly string[] = ['UTF-008', 'WIN-009', 'XBOM-010', 'ZNL-011'];

/** The six seed-format stories, without the byte fixtures: for tests that count what they do. */
export function seedStories(): ReturnType<typeof fixtureStories> {
  return fixtureStories().filter((story) => !BYTE_FIXTURE_IDS.includes(story.id));
}

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
