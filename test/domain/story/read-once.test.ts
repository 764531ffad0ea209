// A stored story is parsed once, then read from the bounded cache: also a large one (security
// review finding 3: texts over 64,000 characters were never cached, so each read parsed again).
import { describe, expect, it, vi } from 'vitest';

const parses = vi.hoisted(() => ({ count: 0 }));
vi.mock('yaml', async (importOriginal) => {
  const yaml = await importOriginal<typeof import('yaml')>();
  return {
    ...yaml,
    parseDocument: (...args: Parameters<typeof yaml.parseDocument>) => {
      parses.count += 1;
      return yaml.parseDocument(...args);
    },
  };
});

const { editStoryDocument, parseStoryDocument } = await import(
  '../../../src/domain/story/story-document.js'
);

function manyKeys(count: number): string {
  const keys = Array.from({ length: count }, (_, index) => `k${index}: ${index}`);
  return `${['---', 'id: KEYS-001', 'title: keys', ...keys, '---', ''].join('\n')}\n`;
}

describe('a document is parsed once however often it is read', () => {
  it.each([
    ['a small document', 10],
    ['the 118 KB, 10,000-key document', 10_000],
  ])('%s: reading, listing and editing it parse it once', (_, count) => {
    const text = manyKeys(count);
    parses.count = 0;
    const first = parseStoryDocument(text);
    parseStoryDocument(text);
    parseStoryDocument(text);
    const unchanged = editStoryDocument(text, {});
    expect(parses.count).toBe(1);
    // Each read has its own copy: changing one changes no other.
    first.fields.title = 'changed';
    expect(parseStoryDocument(text).fields.title).toBe('keys');
    expect(unchanged.document.text).toBe(text);
    // An edit parses its result once, and reading that result later parses nothing more.
    parses.count = 0;
    const edited = editStoryDocument(text, { fields: { k1: 'one' } }).document.text;
    parseStoryDocument(edited);
    expect(parses.count).toBe(1);
  });
});
