import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeUtf8Exactly,
  InvalidUtf8Error,
  invalidUtf8Offset,
  loneSurrogateByteOffset,
} from '../../../src/domain/bytes/utf8.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('strict UTF-8', () => {
  it.each([
    ['ASCII', Buffer.from('plain text\r\n')],
    ['2, 3 and 4 byte characters', Buffer.from('é — 日本 🚀')],
    ['a byte-order mark', bytes(0xef, 0xbb, 0xbf, 0x41)],
    ['the highest code point U+10FFFF', bytes(0xf4, 0x8f, 0xbf, 0xbf)],
    ['nothing', bytes()],
  ])('%s is valid and decoded exactly', (_, input) => {
    expect(invalidUtf8Offset(input)).toBeUndefined();
    expect(Buffer.from(decodeUtf8Exactly(input)).equals(Buffer.from(input))).toBe(true);
  });

  it.each([
    ['a lone continuation byte', bytes(0x41, 0x80), 1],
    ['0xFF', bytes(0x41, 0x42, 0xff), 2],
    ['an overlong 2-byte form (0xC0 0xAF)', bytes(0xc0, 0xaf), 0],
    ['an overlong 3-byte form (0xE0 0x80 0xAF)', bytes(0x41, 0xe0, 0x80, 0xaf), 1],
    ['an encoded surrogate (0xED 0xA0 0x80)', bytes(0xed, 0xa0, 0x80), 0],
    ['a code point above U+10FFFF (0xF4 0x90)', bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ['0xF5', bytes(0xf5, 0x80, 0x80, 0x80), 0],
    ['a 3-byte character cut short at the end', bytes(0x41, 0xe6, 0x97), 1],
    ['a 2-byte lead followed by ASCII', bytes(0xc3, 0x41), 0],
    ['Latin-1 é after valid multi-byte text', Buffer.concat([Buffer.from('日本'), bytes(0xe9)]), 6],
  ])('%s: the offset of the first bad sequence is named', (_, input, offset) => {
    expect(invalidUtf8Offset(input)).toBe(offset);
    expect(() => decodeUtf8Exactly(input)).toThrow(InvalidUtf8Error);
    try {
      decodeUtf8Exactly(input);
    } catch (error) {
      expect((error as InvalidUtf8Error).byteOffset).toBe(offset);
      expect((error as Error).message).toContain(`the byte at offset ${offset} (0x`);
    }
  });

  it('a lone surrogate in a string is found at its UTF-8 byte offset; pairs are fine', () => {
    expect(loneSurrogateByteOffset('é🚀 fine')).toBeUndefined();
    expect(loneSurrogateByteOffset('é\ud800x')).toBe(2);
    expect(loneSurrogateByteOffset('🚀\udc00')).toBe(4);
    expect(loneSurrogateByteOffset('\ud83d')).toBe(0);
  });

  it('agrees with the fatal TextDecoder on arbitrary bytes', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (array) => {
        const offset = invalidUtf8Offset(array);
        let valid = true;
        try {
          decoder.decode(array);
        } catch {
          valid = false;
        }
        expect(offset === undefined).toBe(valid);
        if (offset !== undefined) {
          // Everything before the offset decodes; the byte at it starts no valid sequence.
          expect(() => decoder.decode(array.subarray(0, offset))).not.toThrow();
        }
      }),
    );
  });
});
