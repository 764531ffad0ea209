// Defensive readers for parsed webhook JSON: each returns undefined instead of throwing when
// the value is missing or has an unexpected type.

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `path` below `value`, or undefined. */
export function objectAt(value: unknown, ...path: string[]): JsonObject | undefined {
  const found = valueAt(value, ...path);
  return isObject(found) ? found : undefined;
}

/** The value at `path` below `value`, or undefined when any step is not an object. */
export function valueAt(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** A non-empty string at `path`, or undefined. */
export function stringAt(value: unknown, ...path: string[]): string | undefined {
  const found = valueAt(value, ...path);
  return typeof found === 'string' && found !== '' ? found : undefined;
}

/** A string at `path`, empty when it is missing or null (for titles and bodies). */
export function textAt(value: unknown, ...path: string[]): string {
  const found = valueAt(value, ...path);
  return typeof found === 'string' ? found : '';
}

/** A boolean at `path`, or undefined. */
export function booleanAt(value: unknown, ...path: string[]): boolean | undefined {
  const found = valueAt(value, ...path);
  return typeof found === 'boolean' ? found : undefined;
}

/** A positive safe integer at `path` (numbers or digit strings), or undefined. */
export function positiveIntegerAt(value: unknown, ...path: string[]): number | undefined {
  const found = valueAt(value, ...path);
  const number =
    typeof found === 'string' && /^[0-9]+$/.test(found) ? Number(found) : (found as unknown);
  return typeof number === 'number' && Number.isSafeInteger(number) && number > 0
    ? number
    : undefined;
}

/** An id (number or non-empty string) at `path`, as a string, or undefined. */
export function idAt(value: unknown, ...path: string[]): string | undefined {
  const found = valueAt(value, ...path);
  if (typeof found === 'number' && Number.isFinite(found)) return String(found);
  return typeof found === 'string' && found !== '' ? found : undefined;
}

/** The array at `path`, or an empty array. */
export function arrayAt(value: unknown, ...path: string[]): unknown[] {
  const found = valueAt(value, ...path);
  return Array.isArray(found) ? found : [];
}

/** A copy of `record` without the properties whose value is undefined. */
export function withoutUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as T;
}

/** `table[key]` when `key` is the table's own property (a payload's "constructor" is not). */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
