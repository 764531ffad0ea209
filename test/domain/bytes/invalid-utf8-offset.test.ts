import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { invalidUtf8Offset } from '../../../src/domain/bytes/invalid-utf8-offset.js';

const bytes = (...values: number[]) => Buffer.from(values);

describe('invalidUtf8Offset', () => {
  it('is -1 for well-formed UTF-8, including 2-, 3- and 4-byte sequences', () => {
    expect(invalidUtf8Offset(Buffer.from('café ✓ 𝄞 \u{10FFFF}', 'utf8'))).toBe(-1);
    expect(invalidUtf8Offset(Buffer.alloc(0))).toBe(-1);
  });

  it('names the offset of the first byte of the first bad sequence', () => {
    expect(invalidUtf8Offset(bytes(0x63, 0x61, 0x66, 0xe9))).toBe(3); // latin-1 é, cut off
    expect(invalidUtf8Offset(bytes(0x61, 0xff, 0xfe))).toBe(1);
    expect(invalidUtf8Offset(bytes(0x61, 0xc3, 0x28))).toBe(1); // bad continuation
    expect(invalidUtf8Offset(bytes(0xc0, 0xaf))).toBe(0); // overlong
    expect(invalidUtf8Offset(bytes(0xe0, 0x80, 0xaf))).toBe(0); // overlong
    expect(invalidUtf8Offset(bytes(0x41, 0xed, 0xa0, 0x80))).toBe(1); // surrogate
    expect(invalidUtf8Offset(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(0); // above U+10FFFF
    expect(invalidUtf8Offset(bytes(0xe2, 0x9c, 0x93, 0xe2, 0x9c))).toBe(3); // truncated at the end
    expect(invalidUtf8Offset(bytes(0x80))).toBe(0); // lone continuation
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
        expect(offset === -1).toBe(valid);
        if (offset >= 0) {
          // Everything before the offset decodes; the byte at it starts no valid sequence.
          expect(() => decoder.decode(array.subarray(0, offset))).not.toThrow();
        }
      }),
    );
  });
});
