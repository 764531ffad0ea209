// `storyflow import DIR`: sends every story document in DIR to the server.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { decodeUtf8Exactly, InvalidUtf8Error } from '../../domain/bytes/utf8.js';
import { type ApiClient, ApiError } from '../api-client.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Progress } from '../progress.js';

interface ImportAnswer {
  items: { id: string; action: 'created' | 'updated' | 'unchanged'; version: number }[];
}

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  skipped: string[];
}

/** Documents sent per request; each request is imported atomically by the server. */
const CHUNK_SIZE = 100;

export async function importDirectory(
  client: ApiClient,
  directory: string,
  progress: Progress,
): Promise<ImportSummary> {
  const files = await listMarkdownFiles(directory);
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0, skipped: [] };
  const documents: { path: string; text: string }[] = [];
  const notUtf8: string[] = [];
  for (const path of files) {
    const bytes = await readFile(path);
    // Only story documents (frontmatter first) are imported; a README beside them is not one.
    if (!/^(\xEF\xBB\xBF)?---\r?\n/.test(bytes.subarray(0, 8).toString('latin1'))) {
      summary.skipped.push(relative(directory, path));
      continue;
    }
    try {
      // Exactly the file's bytes (a byte-order mark and CR LF stay); never U+FFFD for bad bytes.
      documents.push({ path, text: decodeUtf8Exactly(bytes) });
    } catch (error) {
      if (!(error instanceof InvalidUtf8Error)) throw error;
      notUtf8.push(`  ${relative(directory, path)}: ${error.message}`);
    }
  }
  if (notUtf8.length > 0) {
    throw new CliError(EXIT.usage, `import refused; nothing was sent:\n${notUtf8.join('\n')}`);
  }
  progress.start(documents.length);
  try {
    for (let start = 0; start < documents.length; start += CHUNK_SIZE) {
      const chunk = documents.slice(start, start + CHUNK_SIZE);
      const answer = await sendChunk(client, chunk, directory);
      for (const item of answer.items) summary[item.action] += 1;
      progress.advance(chunk.length);
    }
  } finally {
    progress.stop();
  }
  return summary;
}

async function sendChunk(
  client: ApiClient,
  chunk: { path: string; text: string }[],
  directory: string,
): Promise<ImportAnswer> {
  try {
    return await client.json<ImportAnswer>('POST', '/api/v1/stories/import', {
      json: { documents: chunk.map((document) => document.text) },
    });
  } catch (error) {
    if (!(error instanceof ApiError) || error.problem?.errors === undefined) throw error;
    // Name the files, not the request's document indexes.
    const lines = error.problem.errors.map((issue) => {
      const file = issue.document === undefined ? undefined : chunk[issue.document]?.path;
      const where = [file && relative(directory, file), issue.line && `line ${issue.line}`]
        .filter(Boolean)
        .join(':');
      return `  ${where ? `${where}: ` : ''}${issue.field}: ${issue.message}`;
    });
    throw new CliError(
      EXIT.serverFailure,
      `import rejected (${error.status}); nothing from this batch was imported:\n${lines.join('\n')}`,
    );
  }
}

async function listMarkdownFiles(directory: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true, recursive: true });
  } catch (error) {
    throw new CliError(
      EXIT.usage,
      `cannot read directory ${directory}: ${(error as Error).message}`,
    );
  }
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => join(entry.parentPath ?? directory, entry.name))
    .sort();
}

export function formatImportSummary(directory: string, summary: ImportSummary): string {
  const total = summary.created + summary.updated + summary.unchanged;
  const skipped =
    summary.skipped.length === 0
      ? ''
      : `; skipped ${summary.skipped.length} file(s) without frontmatter: ${summary.skipped.join(', ')}`;
  return `Imported ${total} ${total === 1 ? 'story' : 'stories'} from ${directory}: ${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged${skipped}`;
}
