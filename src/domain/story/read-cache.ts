// A bounded memo for pure text → value functions (least recently used entries dropped first).
// Story operations read the same document text several times (edit, validate, diff, answer); the
// YAML parse is their largest cost, so repeated reads of one text are answered from here. Each hit
// answers `copy(value)`, so a caller that changes its result never changes the cached one.
// Thrown errors are not cached.
import type { JsonValue } from './json-value.js';

export interface MemoLimits {
  /** Most entries kept. */
  entries: number;
  /** Most text kept, in characters, summed over the entries. */
  chars: number;
  /** Texts longer than this are never kept. */
  maxTextChars: number;
}

export function memoByText<T>(
  limits: MemoLimits,
  compute: (text: string) => T,
  copy: (value: T) => T,
): (text: string) => T {
  const cache = new Map<string, T>();
  let chars = 0;
  return (text) => {
    const hit = cache.get(text);
    if (hit !== undefined) {
      cache.delete(text); // re-inserted: the Map's order is the recency order
      cache.set(text, hit);
      return copy(hit);
    }
    const value = compute(text);
    if (text.length > limits.maxTextChars) return value;
    while (cache.size > 0 && (cache.size >= limits.entries || chars + text.length > limits.chars)) {
      const oldest = cache.keys().next().value as string;
      cache.delete(oldest);
      chars -= oldest.length;
    }
    cache.set(text, value);
    chars += text.length;
    return copy(value);
  };
}

/** A deep copy of JSON values; own `__proto__` keys stay plain data properties. */
export function copyJson<T extends JsonValue>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => copyJson(item)) as T;
  const copy: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value)) {
    const itemCopy = copyJson(item as JsonValue);
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value: itemCopy,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      copy[key] = itemCopy;
    }
  }
  return copy as T;
}
