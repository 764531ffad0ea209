// Paths for new SQLite files, each in a temporary folder removed after the test that asked.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** Call at the top of a test file; the function it returns gives a new file path per call. */
export function useTempDatabaseFiles(prefix: string): () => string {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    const folder = mkdtempSync(join(tmpdir(), `storyflow-${prefix}-`));
    folders.push(folder);
    return join(folder, 'storyflow.db');
  };
}
