// A bounded memo for pure text → value functions (least recently used entries dropped first).
// Story operations read the same document text several times (edit, validate, diff, answer); the
// YAML parse is their largest cost, so repeated reads of one text are answered from here. Each hit
// answers `copy(value)`, so a caller that changes its result never changes the cached one.
// Thrown errors are not cached.
import type { JsonValue } from './json-value.js';

export interface MemoLimits {
  /** Most entries kept. */
  entries: number;
  /** Most text kept, in characters, summed over the keys. */
  chars: number;
  /** Keys longer than this are never kept. */
  maxTextChars: number;
}

/** A bounded map from text to values; the least recently used entries go first. */
export class TextCache<T> {
  private readonly map = new Map<string, T>();
  private chars = 0;

  constructor(private readonly limits: MemoLimits) {}

  get(key: string): T | undefined {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key); // re-inserted: the Map's order is the recency order
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: T): void {
    if (key.length > this.limits.maxTextChars || this.map.has(key)) return;
    while (
      this.map.size > 0 &&
      (this.map.size >= this.limits.entries || this.chars + key.length > this.limits.chars)
    ) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
      this.chars -= oldest.length;
    }
    this.map.set(key, value);
    this.chars += key.length;
  }
}

export function memoByText<T>(
  limits: MemoLimits,
  compute: (text: string) => T,
  copy: (value: T) => T,
): (text: string) => T {
  const cache = new TextCache<T>(limits);
  return (text) => {
    const hit = cache.get(text);
    if (hit !== undefined) return copy(hit);
    const value = compute(text);
    cache.set(text, value);
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
