import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import {
  StoryDocumentError,
  type StoryIssue,
} from '../../../src/domain/story/story-document-error.js';

const FIXTURES = new URL('../../fixtures/stories/', import.meta.url);

/** Names of the fixture stories (README.md is not a story). */
export const fixtureNames = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.md') && name !== 'README.md')
  .sort();

export function readFixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/**
 * Asserts that `after` is `before` with exactly the contiguous lines `oldLines` replaced by
 * `newLines`, comparing line by line; every other line must be byte-identical.
 */
export function expectOnlyLinesReplaced(
  before: string,
  after: string,
  oldLines: string[],
  newLines: string[],
): void {
  const lines = before.split('\n');
  const starts = lines
    .map((_, index) => index)
    .filter((index) => oldLines.every((line, offset) => lines[index + offset] === line));
  expect(starts, `"${oldLines.join('\\n')}" must occur exactly once`).toHaveLength(1);
  const start = starts[0] as number;
  const expected = [...lines.slice(0, start), ...newLines, ...lines.slice(start + oldLines.length)];
  expect(after.split('\n')).toEqual(expected);
}

/** Lines [start, end) of the top-level key `key` in a document's line array. */
export function keyLineRange(lines: string[], key: string): { start: number; end: number } {
  const close = lines.findIndex((line, index) => index > 0 && /^---\r?$/.test(line));
  const start = lines.findIndex((line, index) => index > 0 && line.startsWith(`${key}:`));
  if (start === -1 || start > close) return { start: close, end: close };
  let end = start + 1;
  while (end < close && /^(\r?$|\s)/.test(lines[end] as string)) end += 1;
  return { start, end };
}

/** Runs `action`, expecting a StoryDocumentError, and returns its issues. */
export function issuesOf(action: () => unknown): StoryIssue[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(StoryDocumentError);
    return (error as StoryDocumentError).issues;
  }
  throw new Error('expected a StoryDocumentError');
}
