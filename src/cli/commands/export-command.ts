// `storyflow export DIR`: writes every story's exact document to DIR/<id>.md.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiClient } from '../api-client.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Progress } from '../progress.js';

interface StoryPage {
  items: { id: string }[];
  nextCursor: string | null;
}

const PAGE_SIZE = 500;
const PARALLEL_DOWNLOADS = 8;

export async function exportDirectory(
  client: ApiClient,
  directory: string,
  progress: Progress,
): Promise<number> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page: StoryPage = await client.json<StoryPage>(
      'GET',
      `/api/v1/stories?limit=${PAGE_SIZE}${query}`,
    );
    for (const item of page.items) ids.push(item.id);
    cursor = page.nextCursor;
  } while (cursor !== null);

  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw new CliError(
      EXIT.usage,
      `cannot create directory ${directory}: ${(error as Error).message}`,
    );
  }
  progress.start(ids.length);
  try {
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const response = await client.request(
          'GET',
          `/api/v1/stories/${encodeURIComponent(id)}.md`,
        );
        await writeFile(join(directory, `${id}.md`), response.bytes);
        progress.advance(1);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, ids.length) }, worker));
  } finally {
    progress.stop();
  }
  return ids.length;
}
