// Where a byte sequence stops being UTF-8, so a refusal can name the offset instead of the bytes
// being silently decoded to U+FFFD.
import { isUtf8 } from 'node:buffer';

/**
 * The offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF, no sequence cut off by the end), or
 * -1 when every byte is part of one.
 * @example invalidUtf8Offset(Buffer.from([0x63, 0x61, 0x66, 0xe9])); // 3
 */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  const length = bytes.length;
  let index = 0;
  while (index < length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    let continuation: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) continuation = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      continuation = 2;
      if (lead === 0xe0) low = 0xa0; // overlong
      if (lead === 0xed) high = 0x9f; // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuation = 3;
      if (lead === 0xf0) low = 0x90; // overlong
      if (lead === 0xf4) high = 0x8f; // above U+10FFFF
    } else return index;
    if (index + continuation >= length) return index;
    const second = bytes[index + 1]!;
    if (second < low || second > high) return index;
    for (let next = 2; next <= continuation; next++) {
      if ((bytes[index + next]! & 0xc0) !== 0x80) return index;
    }
    index += continuation + 1;
  }
  return -1;
}
