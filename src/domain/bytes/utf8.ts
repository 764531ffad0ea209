// Story documents are UTF-8 text, byte for byte. Bytes that are not UTF-8 are refused with the
// offset of the first bad one, never decoded into U+FFFD replacement characters.
import { Buffer, isUtf8 } from 'node:buffer';

/** The 0-based offset of the first byte that starts no valid UTF-8 sequence, if any. */
export function invalidUtf8Offset(bytes: Uint8Array): number | undefined {
  if (isUtf8(bytes)) return undefined;
  for (let index = 0; index < bytes.length; ) {
    const lead = bytes[index] as number;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return index;
    for (let next = 1; next < length; next++) {
      const byte = bytes[index + next];
      const [min, max] = next === 1 ? [low, high] : [0x80, 0xbf];
      if (byte === undefined || byte < min || byte > max) return index;
    }
    index += length;
  }
  return undefined; // not reached: isUtf8 said there is a bad byte
}

/** Text that is not UTF-8: where the first bad byte is, and what the bytes there are. */
export class InvalidUtf8Error extends Error {
  constructor(
    /** 0-based offset of the first byte of the invalid sequence. */
    readonly byteOffset: number,
    /** Up to 4 bytes from there, in hex (`0xff 0x41`). */
    readonly bytesThere: string,
  ) {
    super(
      `not valid UTF-8: the byte at offset ${byteOffset} (${bytesThere}) starts no UTF-8 character`,
    );
    this.name = 'InvalidUtf8Error';
  }
}

/** The bytes as text, exactly (a byte-order mark is kept); throws InvalidUtf8Error. */
export function decodeUtf8Exactly(bytes: Uint8Array): string {
  const offset = invalidUtf8Offset(bytes);
  if (offset !== undefined) {
    const there = Array.from(
      bytes.subarray(offset, offset + 4),
      (byte) => `0x${byte.toString(16).padStart(2, '0')}`,
    );
    throw new InvalidUtf8Error(offset, there.join(' '));
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * For text that came as a JavaScript string (a JSON `"\ud800"` escape): the UTF-8 byte offset
 * of the first lone surrogate, which UTF-8 cannot encode, if any.
 */
export function loneSurrogateByteOffset(text: string): number | undefined {
  const match = LONE_SURROGATE.exec(text);
  return match === null ? undefined : Buffer.byteLength(text.slice(0, match.index), 'utf8');
}
